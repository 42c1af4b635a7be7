using System.Globalization;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Backends;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// Compiles a TLSRoute or TCPRoute. Their rules have no matches and no filters, so the whole route is one
/// weighted set of backends: every backendRef of every rule, resolved exactly as HTTPRoute backends are
/// (kind, ReferenceGrant from the route's kind, Service port, ready endpoints). An unresolvable ref stays in
/// the set marked invalid, so its share of connections is refused, as its share of requests gets a 500 on
/// HTTP. The result is one <see cref="CompiledRule"/> without matches that translation turns into a
/// <see cref="StreamRoute"/> per listener.
/// </summary>
internal static class StreamRouteCompiler
{
    public const string TlsKind = "TLSRoute";
    public const string TcpKind = "TCPRoute";

    public static CompiledRoute Compile(TlsRoute route, ResourceSet resources) =>
        Compile(route, route.Spec, TlsKind, resources);

    public static CompiledRoute Compile(TcpRoute route, ResourceSet resources) =>
        Compile(route, route.Spec, TcpKind, resources);

    private static CompiledRoute Compile(KubeObject route, StreamRouteSpec spec, string kind, ResourceSet resources)
    {
        var routeRef = new RouteRef(kind, route.Namespace, route.Name);
        var backends = new List<BackendModel>();
        var dropped = new List<string>();
        ConfigError? resolveError = null;
        var specRules = spec.Rules ?? [];
        for (var i = 0; i < specRules.Count; i++)
        {
            var rule = specRules[i] ?? new StreamRouteRule();
            var label = string.IsNullOrEmpty(rule.Name) ? i.ToString(CultureInfo.InvariantCulture) : $"{i} ({rule.Name})";
            var ruleBackends = new List<BackendModel>();
            string? dropReason = null;
            foreach (var backendRef in rule.BackendRefs ?? [])
            {
                if (backendRef is null)
                {
                    continue;
                }

                var weight = backendRef.Weight ?? 1;
                if (weight < 0)
                {
                    dropReason = $"backendRef {backendRef.Name}: weight must not be negative";
                    break;
                }

                var (backend, error) = BackendResolver.Resolve(
                    resources, route.Namespace, backendRef.Group, backendRef.Kind, backendRef.Name, backendRef.Namespace,
                    backendRef.Port, weight, fromKind: kind);
                resolveError ??= error;
                ruleBackends.Add(backend);
            }

            if (dropReason is not null)
            {
                dropped.Add($"Dropped Rule {label}: {dropReason}");
                continue;
            }

            backends.AddRange(ruleBackends);
        }

        ConfigError? acceptError = specRules.Count > 0 && dropped.Count == specRules.Count
            ? new ConfigError(Reasons.UnsupportedValue, "every rule is invalid: " + string.Join("; ", dropped))
            : null;

        // No rules or no backendRefs: the route still attaches (it owns its hostnames), and its connections are refused.
        var model = new RouteRuleModel(routeRef, 0, specRules.Count == 1 ? specRules[0]?.Name : null, [], new BackendSet(backends));
        var rawHostnames = spec.Hostnames ?? [];
        var hostnames = rawHostnames.Where(HostnameMatch.IsValid).Select(h => h.ToLowerInvariant()).Distinct().ToList();
        return new CompiledRoute
        {
            Route = route,
            Kind = kind,
            Rules = [new CompiledRule(model, Array.Empty<RouteMatch>())],
            AcceptError = acceptError,
            ResolveError = resolveError,
            DroppedRules = dropped,
            Hostnames = hostnames,
            HasInvalidHostnamesOnly = rawHostnames.Count > 0 && hostnames.Count == 0,
        };
    }
}
