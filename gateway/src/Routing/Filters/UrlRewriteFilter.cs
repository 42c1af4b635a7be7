namespace Meshway.Routing.Filters;

/// <summary>URLRewrite: changes the Host and/or path sent to the backend.</summary>
public sealed class UrlRewriteFilter(string? hostname, PathModifier? path) : RouteFilter
{
    public string? Hostname { get; } = hostname;

    public PathModifier? Path { get; } = path;
}
