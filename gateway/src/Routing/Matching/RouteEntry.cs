using Meshway.Routing.Model;

namespace Meshway.Routing.Matching;

/// <summary>
/// One match of one rule of one route, with what precedence needs to order it against every other entry
/// that serves the same hostname: how specific the route's matching hostname is, the route's creation time
/// and namespace/name, the rule and match index.
/// </summary>
public sealed class RouteEntry
{
    public RouteEntry(RouteMatch match, RouteRuleModel rule, DateTimeOffset routeCreated, int matchIndex, int hostnamePriority = 0)
    {
        Match = match;
        Rule = rule;
        RouteCreated = routeCreated;
        MatchIndex = matchIndex;
        HostnamePriority = hostnamePriority;
    }

    /// <summary>
    /// Hostname precedence across routes, before any path rule: higher wins. Use <see cref="HostnamePriorityOf"/>:
    /// a non-wildcard hostname ranks above every wildcard, and longer above shorter.
    /// </summary>
    public int HostnamePriority { get; }

    /// <summary>The priority of a route hostname: exact names above wildcards, more characters first; none = 0.</summary>
    public static int HostnamePriorityOf(string? routeHostname) => routeHostname switch
    {
        null or "" or "*" => 0,
        _ when routeHostname.StartsWith("*.", StringComparison.Ordinal) => routeHostname.Length,
        _ => 1_000_000 + routeHostname.Length,
    };

    public RouteMatch Match { get; }

    public RouteRuleModel Rule { get; }

    public DateTimeOffset RouteCreated { get; }

    public int MatchIndex { get; }
}
