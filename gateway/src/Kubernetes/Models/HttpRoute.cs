namespace Meshway.Kubernetes.Models;

/// <summary>gateway.networking.k8s.io/v1 HTTPRoute.</summary>
public sealed class HttpRoute : KubeObject
{
    public HttpRouteSpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class HttpRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }

    public List<string>? Hostnames { get; set; }

    public List<HttpRouteRule>? Rules { get; set; }
}

public sealed class ParentReference
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Namespace { get; set; }

    public string? Name { get; set; }

    public string? SectionName { get; set; }

    public int? Port { get; set; }
}

public sealed class HttpRouteRule
{
    public string? Name { get; set; }

    public List<HttpRouteMatch>? Matches { get; set; }

    public List<HttpRouteFilter>? Filters { get; set; }

    public List<HttpBackendRef>? BackendRefs { get; set; }

    public HttpRouteTimeouts? Timeouts { get; set; }
}

public sealed class HttpRouteMatch
{
    public HttpPathMatch? Path { get; set; }

    public List<HttpValueMatch>? Headers { get; set; }

    public List<HttpValueMatch>? QueryParams { get; set; }

    public string? Method { get; set; }
}

public sealed class HttpPathMatch
{
    /// <summary>Exact, PathPrefix (the default) or RegularExpression.</summary>
    public string? Type { get; set; }

    public string? Value { get; set; }
}

/// <summary>A header or query-parameter match.</summary>
public sealed class HttpValueMatch
{
    /// <summary>Exact (the default) or RegularExpression.</summary>
    public string? Type { get; set; }

    public string? Name { get; set; }

    public string? Value { get; set; }
}

public sealed class HttpRouteFilter
{
    /// <summary>RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, ExtensionRef, CORS.</summary>
    public string? Type { get; set; }

    public HttpHeaderFilter? RequestHeaderModifier { get; set; }

    public HttpHeaderFilter? ResponseHeaderModifier { get; set; }

    public HttpRequestRedirectFilter? RequestRedirect { get; set; }

    public HttpUrlRewriteFilter? UrlRewrite { get; set; }

    public HttpRequestMirrorFilter? RequestMirror { get; set; }

    public ObjectReference? ExtensionRef { get; set; }
}

public sealed class HttpHeaderFilter
{
    public List<HttpHeader>? Set { get; set; }

    public List<HttpHeader>? Add { get; set; }

    public List<string>? Remove { get; set; }
}

public sealed class HttpHeader
{
    public string? Name { get; set; }

    public string? Value { get; set; }
}

public sealed class HttpRequestRedirectFilter
{
    public string? Scheme { get; set; }

    public string? Hostname { get; set; }

    public HttpPathModifier? Path { get; set; }

    public int? Port { get; set; }

    public int? StatusCode { get; set; }
}

public sealed class HttpUrlRewriteFilter
{
    public string? Hostname { get; set; }

    public HttpPathModifier? Path { get; set; }
}

public sealed class HttpPathModifier
{
    /// <summary>ReplaceFullPath or ReplacePrefixMatch.</summary>
    public string? Type { get; set; }

    public string? ReplaceFullPath { get; set; }

    public string? ReplacePrefixMatch { get; set; }
}

public sealed class HttpRequestMirrorFilter
{
    public BackendObjectReference? BackendRef { get; set; }

    public int? Percent { get; set; }

    public MirrorFraction? Fraction { get; set; }
}

public sealed class MirrorFraction
{
    public int Numerator { get; set; }

    public int? Denominator { get; set; }
}

public sealed class BackendObjectReference
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public int? Port { get; set; }
}

public sealed class HttpBackendRef
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public int? Port { get; set; }

    public int? Weight { get; set; }

    public List<HttpRouteFilter>? Filters { get; set; }
}

public sealed class HttpRouteTimeouts
{
    public string? Request { get; set; }

    public string? BackendRequest { get; set; }
}
