using Meshway.Routing.Filters;
using Meshway.Routing.Matching;

namespace Meshway.DataPlane.Filters;

/// <summary>Builds the Location of an HTTPRoute RequestRedirect, following the Gateway API rules.</summary>
internal static class RedirectBuilder
{
    /// <summary>
    /// 1. Scheme: the filter's, else the request's.
    /// 2. Hostname: the filter's, else the request's Host without its port.
    /// 3. Port: the filter's; else, when the filter changes the scheme, that scheme's well-known port (80/443);
    ///    else the listener port the request arrived on.
    /// 4. The port is left out when it is the well-known port of the final scheme (http:80, https:443).
    /// 5. Path: unchanged, or replaced in full, or its matched prefix replaced; the query string is kept.
    /// </summary>
    public static string BuildLocation(
        RequestRedirectFilter filter,
        string requestScheme,
        string requestHost,
        int listenerPort,
        string path,
        string query,
        PathMatch matched)
    {
        var scheme = filter.Scheme ?? requestScheme;
        var host = filter.Hostname ?? HostWithoutPort(requestHost);
        int port;
        if (filter.Port is { } explicitPort)
        {
            port = explicitPort;
        }
        else if (filter.Scheme is not null)
        {
            port = WellKnownPort(filter.Scheme) ?? listenerPort;
        }
        else
        {
            port = listenerPort;
        }

        var newPath = filter.Path is null ? path : PathRewriter.Apply(filter.Path, path, matched);
        var showPort = WellKnownPort(scheme) != port;
        if (host.Contains(':') && !host.StartsWith('['))
        {
            host = "[" + host + "]"; // an IPv6 literal from the filter
        }

        return showPort
            ? string.Concat(scheme, "://", host, ":", port.ToString(System.Globalization.CultureInfo.InvariantCulture), newPath, query)
            : string.Concat(scheme, "://", host, newPath, query);
    }

    internal static int? WellKnownPort(string scheme) =>
        string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase) ? 80
        : string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase) ? 443
        : null;

    /// <summary>"a.example.com:8080" -> "a.example.com"; "[::1]:80" -> "[::1]".</summary>
    internal static string HostWithoutPort(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            return close > 0 ? host[..(close + 1)] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon >= 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }
}
