namespace Meshway.Kubernetes.Models;

// CONTRACT (placeholder to be fleshed out by the translation work): every typed model derives from this.
public abstract class KubeObject
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";
}
