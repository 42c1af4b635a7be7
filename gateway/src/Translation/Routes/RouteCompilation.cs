using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Backends;

namespace Meshway.Translation.Routes;

/// <summary>A problem found while compiling a route: the Gateway API reason and a message.</summary>
public sealed record RouteProblem(string Reason, string Message);

/// <summary>One compiled rule: what it does and the matches (OR) that select it.</summary>
public sealed record CompiledRuleView(RouteRuleModel Rule, IReadOnlyList<RouteMatch> Matches);

/// <summary>An HTTPRoute's rules compiled to routing IR, independent of what it attaches to.</summary>
public sealed record CompiledRouteView(
    IReadOnlyList<CompiledRuleView> Rules,
    RouteProblem? AcceptError,
    RouteProblem? ResolveError,
    IReadOnlyList<string> DroppedRules,
    DateTimeOffset Created);

/// <summary>
/// The hook other translators (the waypoint's GAMMA binding) use to compile HTTPRoute rules and resolve
/// Service backends exactly as Gateway translation does, so both roles serve the same IR with the same
/// checks. Pure, like the rest of translation.
/// </summary>
public static class RouteCompilation
{
    public static CompiledRouteView Compile(HttpRoute route, ResourceSet resources)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(resources);
        return View(HttpRouteCompiler.Compile(route, resources));
    }

    /// <summary>A GRPCRoute's rules (service/method matches, h2c backends), for GAMMA's MeshGRPCRoute.</summary>
    public static CompiledRouteView Compile(GrpcRoute route, ResourceSet resources)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(resources);
        return View(GrpcRouteCompiler.Compile(route, resources));
    }

    private static CompiledRouteView View(CompiledRoute compiled) =>
        new(
            compiled.Rules.Select(r => new CompiledRuleView(r.Model, r.Matches)).ToList(),
            compiled.AcceptError is { } accept ? new RouteProblem(accept.Reason, accept.Message) : null,
            compiled.ResolveError is { } resolve ? new RouteProblem(resolve.Reason, resolve.Message) : null,
            compiled.DroppedRules,
            compiled.Created);

    /// <summary>A Service port as a backend (all its ready endpoints), as a backendRef from its own namespace would resolve.</summary>
    public static (BackendModel Backend, RouteProblem? Problem) ServiceBackend(ResourceSet resources, string @namespace, string name, int port)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var (backend, error) = BackendResolver.Resolve(resources, @namespace, "", "Service", name, @namespace, port, 1);
        return (backend, error is null ? null : new RouteProblem(error.Reason, error.Message));
    }
}
