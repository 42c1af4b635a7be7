namespace Meshway.Kubernetes.Models;

/// <summary>
/// gateway.networking.k8s.io/v1 GRPCRoute. Parent references, header matches, filters and backendRefs have
/// the same shape as HTTPRoute's, so the same model types are reused; only the method match is its own.
/// </summary>
public sealed class GrpcRoute : KubeObject
{
    public GrpcRouteSpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class GrpcRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }

    public List<string>? Hostnames { get; set; }

    public List<GrpcRouteRule>? Rules { get; set; }
}

public sealed class GrpcRouteRule
{
    public string? Name { get; set; }

    public List<GrpcRouteMatch>? Matches { get; set; }

    /// <summary>RequestHeaderModifier, ResponseHeaderModifier, RequestMirror or ExtensionRef.</summary>
    public List<HttpRouteFilter>? Filters { get; set; }

    public List<HttpBackendRef>? BackendRefs { get; set; }
}

public sealed class GrpcRouteMatch
{
    public GrpcMethodMatch? Method { get; set; }

    /// <summary>Header matches (Exact or RegularExpression), as on HTTPRoute.</summary>
    public List<HttpValueMatch>? Headers { get; set; }
}

public sealed class GrpcMethodMatch
{
    /// <summary>Exact (the default) or RegularExpression.</summary>
    public string? Type { get; set; }

    /// <summary>The fully qualified service name ("package.Service"); absent matches every service.</summary>
    public string? Service { get; set; }

    /// <summary>The method name; absent matches every method.</summary>
    public string? Method { get; set; }
}
