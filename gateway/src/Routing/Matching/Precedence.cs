namespace Meshway.Routing.Matching;

/// <summary>
/// Orders route entries by the Gateway API precedence: first the route hostname that matched (a
/// non-wildcard hostname, then the most characters), then (HTTPRouteRule.Matches)
/// 1. Exact path, 2. PathPrefix with the most characters, 3. a method match, 4. the most header matches,
/// 5. the most query-parameter matches; then the oldest route, then "{namespace}/{name}" alphabetically,
/// then rule order, then match order. RegularExpression precedence is ours to choose: we place it between
/// Exact and PathPrefix (as Envoy Gateway does), longer patterns first.
/// </summary>
public sealed class Precedence : IComparer<RouteEntry>
{
    public static Precedence Instance { get; } = new();

    public int Compare(RouteEntry? x, RouteEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return 1;
        }

        if (y is null)
        {
            return -1;
        }

        var c = y.HostnamePriority.CompareTo(x.HostnamePriority);
        if (c != 0)
        {
            return c;
        }

        if (x.Match.Grpc is { } gx && y.Match.Grpc is { } gy)
        {
            // GRPCRoute: most service characters, then most method characters, then most header matches.
            c = gy.ServiceLength.CompareTo(gx.ServiceLength);
            if (c == 0)
            {
                c = gy.MethodLength.CompareTo(gx.MethodLength);
            }

            if (c == 0)
            {
                c = y.Match.Headers.Length.CompareTo(x.Match.Headers.Length);
            }

            return c != 0 ? c : TieBreak(x, y);
        }

        c = KindRank(x.Match.Path.Kind).CompareTo(KindRank(y.Match.Path.Kind));
        if (c != 0)
        {
            return c;
        }

        // Longer path values first (for Exact the length does not change which entry matches).
        c = PathLength(y.Match.Path).CompareTo(PathLength(x.Match.Path));
        if (c != 0)
        {
            return c;
        }

        c = (y.Match.Method is not null).CompareTo(x.Match.Method is not null);
        if (c != 0)
        {
            return c;
        }

        c = y.Match.Headers.Length.CompareTo(x.Match.Headers.Length);
        if (c != 0)
        {
            return c;
        }

        c = y.Match.QueryParameters.Length.CompareTo(x.Match.QueryParameters.Length);
        if (c != 0)
        {
            return c;
        }

        return TieBreak(x, y);
    }

    /// <summary>The spec's tie-breakers: oldest route, then "{namespace}/{name}", then rule order, then match order.</summary>
    private static int TieBreak(RouteEntry x, RouteEntry y)
    {
        var c = x.RouteCreated.CompareTo(y.RouteCreated);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(x.Rule.Route.Namespace, y.Rule.Route.Namespace);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(x.Rule.Route.Name, y.Rule.Route.Name);
        if (c != 0)
        {
            return c;
        }

        c = x.Rule.RuleIndex.CompareTo(y.Rule.RuleIndex);
        return c != 0 ? c : x.MatchIndex.CompareTo(y.MatchIndex);
    }

    private static int KindRank(PathMatchKind kind) => kind switch
    {
        PathMatchKind.Exact => 0,
        PathMatchKind.RegularExpression => 1,
        _ => 2,
    };

    private static int PathLength(PathMatch path) =>
        path.Kind == PathMatchKind.PathPrefix ? path.NormalizedPrefix.Length : path.Value.Length;
}
