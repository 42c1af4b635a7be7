using Meshway.Routing.Matching;
using Microsoft.AspNetCore.Http;

namespace Meshway.Waypoint.Http;

/// <summary>What route matching reads, over an ASP.NET request (a struct, so matching calls are not virtual).</summary>
internal readonly struct WaypointRequestView(HttpRequest request) : IRequestView
{
    public string Method => request.Method;

    public string Path => request.Path.HasValue ? request.Path.Value! : "/";

    public string? GetHeader(string name)
    {
        var values = request.Headers[name];
        return values.Count == 0 ? null : values.Count == 1 ? values[0] : string.Join(",", values.ToArray());
    }

    /// <summary>Query names match exactly (ASP.NET's Query collection ignores case, the spec does not).</summary>
    public string? GetQueryParameter(string name)
    {
        var query = request.QueryString.Value.AsSpan();
        if (query.Length > 0 && query[0] == '?')
        {
            query = query[1..];
        }

        while (query.Length > 0)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? [] : query[(amp + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (Uri.UnescapeDataString(key.ToString()) == name)
            {
                return eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].ToString().Replace('+', ' '));
            }
        }

        return null;
    }
}
