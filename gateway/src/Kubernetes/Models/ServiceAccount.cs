namespace Meshway.Kubernetes.Models;

/// <summary>v1 ServiceAccount (the identity of a provisioned proxy).</summary>
public sealed class ServiceAccount : KubeObject
{
}
