namespace Meshway.Kubernetes.Models;

/// <summary>
/// gateway.networking.k8s.io TLSRoute (v1alpha2 and, since Gateway API v1.5, v1 in the standard channel; both
/// have this shape). A TLSRoute routes whole TLS connections by the ClientHello's SNI: it has hostnames but no
/// matches, and each rule is only a weighted set of backends.
/// </summary>
public sealed class TlsRoute : KubeObject
{
    public StreamRouteSpec Spec { get; set => field = value ?? new(); } = new();
}

/// <summary>gateway.networking.k8s.io/v1alpha2 TCPRoute: every connection a TCP listener accepts goes to its backends.</summary>
public sealed class TcpRoute : KubeObject
{
    public StreamRouteSpec Spec { get; set => field = value ?? new(); } = new();
}

/// <summary>
/// The spec TLSRoute and TCPRoute share. TCPRoute has no hostnames (the field stays null); parent references
/// and backendRefs have the same shape as HTTPRoute's, so those model types are reused (a backendRef's
/// filters, which these kinds do not have, are never read).
/// </summary>
public sealed class StreamRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }

    public List<string>? Hostnames { get; set; }

    public List<StreamRouteRule>? Rules { get; set; }
}

public sealed class StreamRouteRule
{
    public string? Name { get; set; }

    public List<HttpBackendRef>? BackendRefs { get; set; }
}
