namespace Meshway.Routing.Filters;

/// <summary>
/// RequestRedirect: answers with a Location built from the request and these overrides. A null Port means
/// "derive from the scheme" as the spec says (the well-known port of a changed scheme is omitted).
/// </summary>
public sealed class RequestRedirectFilter(string? scheme, string? hostname, int? port, PathModifier? path, int statusCode)
    : RouteFilter
{
    public string? Scheme { get; } = scheme;

    public string? Hostname { get; } = hostname;

    public int? Port { get; } = port;

    public PathModifier? Path { get; } = path;

    /// <summary>301, 302, 303, 307 or 308.</summary>
    public int StatusCode { get; } = statusCode;
}
