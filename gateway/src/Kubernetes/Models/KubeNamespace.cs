namespace Meshway.Kubernetes.Models;

/// <summary>v1 Namespace (cluster-scoped): its labels feed allowedRoutes selectors.</summary>
public sealed class KubeNamespace : KubeObject
{
    public override bool IsNamespaced => false;
}
