namespace Meshway.Kubernetes.Models;

/// <summary>v1 Secret. TLS secrets (type kubernetes.io/tls) carry tls.crt and tls.key.</summary>
public sealed class Secret : KubeObject
{
    public const string TlsType = "kubernetes.io/tls";

    public string? Type { get; set; }

    /// <summary>Values base64-encoded, as the API serves them.</summary>
    public Dictionary<string, string>? Data { get; set; }

    /// <summary>Plain-text values (write-only in a cluster; common in hand-written files).</summary>
    public Dictionary<string, string>? StringData { get; set; }
}
