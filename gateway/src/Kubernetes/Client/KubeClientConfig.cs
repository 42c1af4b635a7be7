using System.Security.Cryptography.X509Certificates;

namespace Meshway.Kubernetes.Client;

/// <summary>
/// Where the API server is and how to authenticate to it, whichever way it was found (kubeconfig or the
/// pod's service account). Built by <see cref="KubeConfigLoader"/> or <see cref="InClusterConfig"/>.
/// </summary>
public sealed record KubeClientConfig
{
    public required Uri Server { get; init; }

    /// <summary>Roots that the server certificate must chain to; empty means the system roots.</summary>
    public X509Certificate2Collection CaCertificates { get; init; } = [];

    /// <summary>Client certificate with its private key (kubeconfig client-certificate/client-key).</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Bearer token source; null when the user authenticates by certificate only.</summary>
    public TokenSource? Token { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The name checked against the server certificate instead of the server URL's host.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>The context's (or pod's) namespace: where namespaced objects of our own (the Lease) live.</summary>
    public string Namespace { get; init; } = "default";
}
