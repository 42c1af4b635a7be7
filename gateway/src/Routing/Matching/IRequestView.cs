namespace Meshway.Routing.Matching;

/// <summary>
/// The facts of a request that route matching reads. The data plane implements it as a struct over
/// its own request type, so matching stays free of ASP.NET and calls are not virtual.
/// </summary>
public interface IRequestView
{
    /// <summary>The HTTP method, upper case as sent (e.g. "GET").</summary>
    string Method { get; }

    /// <summary>The request path without the query string, starting with '/'.</summary>
    string Path { get; }

    /// <summary>The header's value (several values joined with ","), or null; the name is case-insensitive.</summary>
    string? GetHeader(string name);

    /// <summary>The first value of the query parameter, or null; the name is matched exactly.</summary>
    string? GetQueryParameter(string name);
}
