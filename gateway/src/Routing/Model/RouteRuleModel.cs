using System.Collections.Immutable;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;

namespace Meshway.Routing.Model;

/// <summary>
/// What one HTTPRoute rule does once matched: its filters in the order written, its weighted backends and
/// its timeouts. Shared by every match, hostname and listener the rule serves.
/// </summary>
public sealed class RouteRuleModel
{
    public RouteRuleModel(
        RouteRef route,
        int ruleIndex,
        string? ruleName,
        ImmutableArray<RouteFilter> filters,
        BackendSet backends,
        TimeSpan? requestTimeout = null,
        TimeSpan? backendRequestTimeout = null)
    {
        Route = route;
        RuleIndex = ruleIndex;
        RuleName = ruleName;
        Filters = filters.IsDefault ? [] : filters;
        Backends = backends;
        RequestTimeout = requestTimeout;
        BackendRequestTimeout = backendRequestTimeout;
        foreach (var filter in Filters)
        {
            if (filter is RequestRedirectFilter redirect)
            {
                Redirect = redirect;
            }
        }
    }

    public RouteRef Route { get; }

    public int RuleIndex { get; }

    public string? RuleName { get; }

    public ImmutableArray<RouteFilter> Filters { get; }

    public BackendSet Backends { get; }

    /// <summary>HTTPRoute timeouts.request: the whole exchange, answered 504 when exceeded.</summary>
    public TimeSpan? RequestTimeout { get; }

    /// <summary>HTTPRoute timeouts.backendRequest: one request to a backend, answered 504 when exceeded.</summary>
    public TimeSpan? BackendRequestTimeout { get; }

    /// <summary>Set when the rule redirects: no backend is called.</summary>
    public RequestRedirectFilter? Redirect { get; }
}
