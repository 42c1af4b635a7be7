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

    /// <summary>
    /// The first value of the parameter whose name equals <paramref name="name"/> exactly. Query names are
    /// case-sensitive in the Gateway API, while ASP.NET's <c>Request.Query</c> is not, so this scans the raw
    /// query string (no dictionary is built; only a match's value is decoded).
    /// </summary>
    public string? GetQueryParameter(string name) => FindQueryParameter(request.QueryString.Value, name);

    internal static string? FindQueryParameter(string? query, string name)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        var rest = query.AsSpan();
        if (rest[0] == '?')
        {
            rest = rest[1..];
        }

        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? [] : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var rawName = eq < 0 ? pair : pair[..eq];
            var rawValue = eq < 0 ? [] : pair[(eq + 1)..];
            var matches = rawName.ContainsAny('%', '+')
                ? string.Equals(Decode(rawName), name, StringComparison.Ordinal)
                : rawName.SequenceEqual(name);
            if (matches)
            {
                return Decode(rawValue);
            }
        }

        return null;
    }

    private static string Decode(ReadOnlySpan<char> raw)
    {
        if (!raw.ContainsAny('%', '+'))
        {
            return raw.ToString();
        }

        return Uri.UnescapeDataString(raw.ToString().Replace('+', ' '));
    }
}
