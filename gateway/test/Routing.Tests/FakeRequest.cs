using Meshway.Routing.Matching;

namespace Meshway.Routing.Tests;

/// <summary>A request as matching sees it, built from literal values.</summary>
internal readonly struct FakeRequest : IRequestView
{
    private readonly Dictionary<string, string> _headers;
    private readonly Dictionary<string, string> _query;

    public FakeRequest(string path, string method = "GET", (string Name, string Value)[]? headers = null, (string Name, string Value)[]? query = null)
    {
        Path = path;
        Method = method;
        _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers ?? [])
        {
            _headers[name] = value;
        }

        _query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in query ?? [])
        {
            _query.TryAdd(name, value);
        }
    }

    public string Method { get; }

    public string Path { get; }

    public string? GetHeader(string name) => _headers.GetValueOrDefault(name);

    public string? GetQueryParameter(string name) => _query.GetValueOrDefault(name);
}
