using System.Collections.Immutable;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Translation.Backends;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// The backendRefs of one HTTPRoute or GRPCRoute rule: each one's own filters (compiled by the route kind's
/// filter compiler), its weight, and its resolution to a Service port. Shared so both route kinds check
/// backends exactly alike.
/// </summary>
internal static class BackendRefCompiler
{
    /// <summary>
    /// The rule's backends, or an <c>Error</c> that invalidates the rule; <c>RefError</c> is the first
    /// unresolvable reference (the backend stays in the split, marked invalid).
    /// </summary>
    public static (List<BackendModel>? Backends, string? Error, ConfigError? RefError) Compile(
        IEnumerable<HttpBackendRef?>? backendRefs,
        ResourceSet resources,
        string routeNamespace,
        Func<HttpRouteFilter, (RouteFilter? Filter, string? Error, ConfigError? RefError)> compileFilter,
        string fromKind,
        BackendProtocol? protocolOverride)
    {
        ConfigError? refError = null;
        var backends = new List<BackendModel>();
        foreach (var backendRef in backendRefs ?? [])
        {
            if (backendRef is null)
            {
                continue;
            }

            var backendFilters = ImmutableArray.CreateBuilder<RouteFilter>();
            foreach (var filter in backendRef.Filters ?? [])
            {
                var (compiled, error, _) = compileFilter(filter ?? new HttpRouteFilter());
                if (error is not null)
                {
                    return (null, error, refError);
                }

                if (compiled is not null)
                {
                    backendFilters.Add(compiled);
                }
            }

            var weight = backendRef.Weight ?? 1;
            if (weight < 0)
            {
                return (null, $"backendRef {backendRef.Name}: weight must not be negative", refError);
            }

            var (backend, resolveError) = BackendResolver.Resolve(
                resources, routeNamespace, backendRef.Group, backendRef.Kind, backendRef.Name, backendRef.Namespace,
                backendRef.Port, weight, backendFilters.ToImmutable(), fromKind, protocolOverride);
            refError ??= resolveError;
            backends.Add(backend);
        }

        return (backends, null, refError);
    }
}
