using Meshway.Routing.Matching;
using Microsoft.AspNetCore.Http;

namespace Meshway.DataPlane.Pipeline;

/// <summary>The ASP.NET request as route matching sees it; a struct so matching calls are not virtual.</summary>
internal readonly struct HttpRequestView(HttpRequest request) : IRequestView
{
    public string Method => request.Method;

    public string Path => request.Path.Value is { Length: > 0 } path ? path : "/";

    public string? GetHeader(string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null;

    public string? GetQueryParameter(string name) =>
        request.QueryString.HasValue && request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
