namespace Meshway.Kubernetes.Models;

/// <summary>v1 ConfigMap (BackendTLSPolicy reads CA bundles from its "ca.crt" key).</summary>
public sealed class ConfigMap : KubeObject
{
    public Dictionary<string, string>? Data { get; set; }
}
