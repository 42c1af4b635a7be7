using Meshway.Routing.Model;

namespace Meshway.Routing.Matching;

/// <summary>
/// One match of one rule of one route, with what precedence needs to order it against every other entry
/// that serves the same hostname: the route's creation time and namespace/name, the rule and match index.
/// </summary>
public sealed class RouteEntry
{
    public RouteEntry(RouteMatch match, RouteRuleModel rule, DateTimeOffset routeCreated, int matchIndex)
    {
        Match = match;
        Rule = rule;
        RouteCreated = routeCreated;
        MatchIndex = matchIndex;
    }

    public RouteMatch Match { get; }

    public RouteRuleModel Rule { get; }

    public DateTimeOffset RouteCreated { get; }

    public int MatchIndex { get; }
}
