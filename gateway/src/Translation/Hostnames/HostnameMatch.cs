namespace Meshway.Translation.Hostnames;

/// <summary>
/// Hostname rules of the Gateway API: validity, wildcard coverage and the listener/route intersection.
/// A wildcard "*.example.com" covers any name with at least one more label ("a.example.com",
/// "a.b.example.com") but never the apex "example.com". Comparisons ignore case.
/// </summary>
internal static class HostnameMatch
{
    /// <summary>An effective hostname of a route on a listener, and the route hostname it came from (null: the route had none).</summary>
    public readonly record struct Effective(string Hostname, string? RouteHostname);

    /// <summary>
    /// The hostnames a route serves on a listener. Null listener hostname = any; an empty route list = any.
    /// Returns "*" alone when both are "any"; an empty list when they do not intersect.
    /// </summary>
    public static IReadOnlyList<Effective> Intersect(string? listenerHostname, IReadOnlyList<string> routeHostnames)
    {
        var result = new List<Effective>();
        if (routeHostnames.Count == 0)
        {
            result.Add(new Effective(string.IsNullOrEmpty(listenerHostname) ? "*" : listenerHostname.ToLowerInvariant(), null));
            return result;
        }

        foreach (var raw in routeHostnames)
        {
            var route = raw.ToLowerInvariant();
            string? effective;
            if (string.IsNullOrEmpty(listenerHostname))
            {
                effective = route;
            }
            else
            {
                effective = IntersectOne(listenerHostname.ToLowerInvariant(), route);
            }

            if (effective is not null && !result.Exists(e => e.Hostname == effective))
            {
                result.Add(new Effective(effective, route));
            }
        }

        return result;
    }

    /// <summary>The more specific of two hostnames when one covers the other, else null.</summary>
    public static string? IntersectOne(string a, string b)
    {
        if (a == b)
        {
            return a;
        }

        if (Covers(a, b))
        {
            return b;
        }

        return Covers(b, a) ? a : null;
    }

    /// <summary>
    /// True when every name <paramref name="specific"/> matches is also matched by <paramref name="pattern"/>:
    /// equal names, "*" (any), or a wildcard whose suffix the other name (exact or wildcard) ends in below it.
    /// </summary>
    public static bool Covers(string pattern, string specific)
    {
        if (pattern == "*" || string.Equals(pattern, specific, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return false;
        }

        var suffix = pattern.AsSpan(1); // ".example.com"
        var name = specific.StartsWith("*.", StringComparison.Ordinal) ? specific.AsSpan(1) : specific.AsSpan();
        // "a.example.com" ends in ".example.com" with a label before it; "*.a.example.com" is compared as
        // ".a.example.com", which is strictly longer than ".example.com" too. The apex "example.com" is shorter.
        return name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A DNS-1123 subdomain, optionally with a leading "*." label; IP addresses are not hostnames here, as
    /// the Gateway API says.
    /// </summary>
    public static bool IsValid(string? hostname)
    {
        if (string.IsNullOrEmpty(hostname) || hostname.Length > 253)
        {
            return false;
        }

        var name = hostname.StartsWith("*.", StringComparison.Ordinal) ? hostname[2..] : hostname;
        if (name.Length == 0 || System.Net.IPAddress.TryParse(name, out _))
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
