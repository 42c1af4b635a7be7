using Meshway.Kubernetes.Models;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>One valid rule of a route: what it does and the matches (OR) that select it.</summary>
internal sealed record CompiledRule(RouteRuleModel Model, IReadOnlyList<RouteMatch> Matches);

/// <summary>
/// An HTTPRoute or GRPCRoute after its rules were checked and compiled, independent of where it attaches: the rules that
/// survived, the problems found (as the status conditions they become) and the route's precedence facts.
/// </summary>
internal sealed class CompiledRoute
{
    public required KubeObject Route { get; init; }

    /// <summary>"HTTPRoute" or "GRPCRoute": which listener kinds it needs, and the cross-type hostname rule.</summary>
    public string Kind { get; init; } = "HTTPRoute";

    public required IReadOnlyList<CompiledRule> Rules { get; init; }

    /// <summary>Set when the whole route cannot be accepted (IncompatibleFilters, every rule invalid).</summary>
    public ConfigError? AcceptError { get; init; }

    /// <summary>The first reference that could not be resolved (ResolvedRefs=False with its reason).</summary>
    public ConfigError? ResolveError { get; init; }

    /// <summary>One message per dropped rule; any makes PartiallyInvalid=True.</summary>
    public required IReadOnlyList<string> DroppedRules { get; init; }

    /// <summary>
    /// The creation time precedence uses. A route without one (hand-written files) sorts after every route
    /// that has one, then by namespace/name, so the order is stable and never depends on load order.
    /// </summary>
    public DateTimeOffset Created => Route.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue;

    /// <summary>The route's hostnames that are valid, lower-cased; <see cref="HasInvalidHostnamesOnly"/> tells an empty list from "any".</summary>
    public required IReadOnlyList<string> Hostnames { get; init; }

    public bool HasInvalidHostnamesOnly { get; init; }
}
