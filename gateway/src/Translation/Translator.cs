using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Gateways;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Routes;
using Meshway.Translation.Status;

namespace Meshway.Translation;

/// <summary>What translation is told about its environment (never read from the clock or the machine).</summary>
public sealed record TranslationOptions
{
    public string ControllerName { get; init; } = "meshway.dev/gateway-controller";

    /// <summary>Listeners of a Gateway with no spec.addresses bind here.</summary>
    public string DefaultBindAddress { get; init; } = "0.0.0.0";
}

public sealed record TranslationResult(RoutingSnapshot Snapshot, StatusReport Status);

/// <summary>
/// The pure function at the centre of Meshway: Gateway API objects in, the routing snapshot and the status
/// of every object of ours out. No I/O, no clock, no shared state; bad objects become status conditions,
/// never exceptions, so the same input always gives the same output.
/// </summary>
public static class Translator
{
    public static TranslationResult Translate(ResourceSet resources, TranslationOptions options)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(options);

        // 1. Our GatewayClasses, and the Gateways of those classes (oldest first: on a shared address:port
        //    the older Gateway keeps it).
        var classes = resources.GatewayClasses.Where(c => c.Spec.ControllerName == options.ControllerName).ToList();
        var classNames = classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var gateways = resources.Gateways
            .Where(g => g.Spec.GatewayClassName is { } name && classNames.Contains(name))
            .OrderBy(g => g.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(g => g.Namespace, StringComparer.Ordinal)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .Select(g => GatewayTranslator.Translate(g, resources, options))
            .ToList();
        DetectCrossGatewayConflicts(gateways);
        var gatewaysByKey = gateways.ToDictionary(g => g.Namespace + "/" + g.Name, StringComparer.Ordinal);

        // 2. Routes with a parentRef to one of our Gateways: compile once, attach per parentRef.
        var routeResults = new List<(CompiledRoute Route, List<ParentResult> Parents)>();
        foreach (var route in resources.HttpRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => HttpRouteCompiler.Compile(route, resources), gatewaysByKey, resources, routeResults);
        }

        foreach (var route in resources.GrpcRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => GrpcRouteCompiler.Compile(route, resources), gatewaysByKey, resources, routeResults);
        }

        foreach (var route in resources.TlsRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => StreamRouteCompiler.Compile(route, resources), gatewaysByKey, resources, routeResults);
        }

        foreach (var route in resources.TcpRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => StreamRouteCompiler.Compile(route, resources), gatewaysByKey, resources, routeResults);
        }

        RouteKindConflicts.Resolve(gateways, routeResults);
        StreamRouteConflicts.Resolve(gateways, routeResults);

        // 3. The snapshot, then the status of everything we looked at.
        var snapshot = BuildSnapshot(gateways);
        var items = new List<ObjectStatus>();
        items.AddRange(classes.Select(StatusWriter.GatewayClass));
        items.AddRange(gateways
            .OrderBy(g => g.Namespace, StringComparer.Ordinal)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .Select(StatusWriter.Gateway));
        items.AddRange(routeResults.Select(r => StatusWriter.HttpRoute(r.Route, r.Parents, options.ControllerName)));
        items.AddRange(BackendTlsPolicyStatus.Write(resources, routeResults, options.ControllerName));
        return new TranslationResult(snapshot, new StatusReport(items));
    }

    private static void AttachRoute(
        KubeObject route,
        List<ParentReference>? parentRefs,
        Func<CompiledRoute> compile,
        Dictionary<string, GatewayState> gatewaysByKey,
        ResourceSet resources,
        List<(CompiledRoute Route, List<ParentResult> Parents)> routeResults)
    {
        var parents = (parentRefs ?? [])
            .Where(p => p is not null && IsGatewayRef(p))
            .Select(p => (Ref: p, Gateway: gatewaysByKey.GetValueOrDefault(
                (string.IsNullOrEmpty(p.Namespace) ? route.Namespace : p.Namespace) + "/" + p.Name)))
            .Where(p => p.Gateway is not null)
            .ToList();
        if (parents.Count == 0)
        {
            return;
        }

        var compiled = compile();
        var results = new List<ParentResult>();
        foreach (var (parentRef, gateway) in parents)
        {
            var result = RouteAttachment.Attach(compiled, parentRef, gateway!, resources);
            if (result.Error is null && compiled.AcceptError is not null)
            {
                result = result with { Listeners = [], Error = compiled.AcceptError };
            }

            foreach (var (listener, hostnames) in result.Listeners)
            {
                var existing = listener.Routes.FindIndex(a => ReferenceEquals(a.Route, compiled));
                if (existing < 0)
                {
                    listener.Routes.Add(new AttachedRoute(compiled, hostnames));
                }
                else
                {
                    // Two parentRefs selecting the same listener: one attachment, the union of hostnames.
                    var merged = listener.Routes[existing].Hostnames
                        .Concat(hostnames.Where(h => !listener.Routes[existing].Hostnames.Any(e => e.Hostname == h.Hostname)))
                        .ToList();
                    listener.Routes[existing] = new AttachedRoute(compiled, merged);
                }
            }

            results.Add(result);
        }

        routeResults.Add((compiled, results));
    }

    private static bool IsGatewayRef(ParentReference parentRef) =>
        (parentRef.Group ?? KubeKinds.GatewayGroup) == KubeKinds.GatewayGroup
        && (parentRef.Kind ?? "Gateway") == "Gateway"
        && !string.IsNullOrEmpty(parentRef.Name);

    /// <summary>
    /// Gateways of ours that bind the same address and port share one socket: they must agree on the
    /// protocol and not claim the same hostname. The older Gateway keeps what it has; the newer one's
    /// listener is Conflicted.
    /// </summary>
    private static void DetectCrossGatewayConflicts(List<GatewayState> gateways)
    {
        var sockets = new Dictionary<string, (ListenerProtocol Protocol, Dictionary<string, string> Hosts)>(StringComparer.Ordinal);
        foreach (var gateway in gateways)
        {
            foreach (var listener in gateway.Listeners.Where(l => l.Programmed))
            {
                var host = listener.Hostname ?? "*";
                foreach (var address in gateway.Addresses)
                {
                    if (!sockets.TryGetValue(address + "|" + listener.Port, out var socket))
                    {
                        continue;
                    }

                    if (!GatewayTranslator.Compatible(socket.Protocol, listener.Protocol!.Value))
                    {
                        listener.Conflict = new ConfigError(Reasons.ProtocolConflict,
                            $"{address}:{listener.Port} is already served with protocol {socket.Protocol.ToString().ToUpperInvariant()}");
                        break;
                    }

                    if (socket.Hosts.TryGetValue(host, out var owner) && owner != gateway.Namespace + "/" + gateway.Name)
                    {
                        listener.Conflict = new ConfigError(Reasons.HostnameConflict,
                            $"{address}:{listener.Port} hostname \"{host}\" is already served by Gateway {owner}");
                        break;
                    }
                }

                if (listener.Conflict is not null)
                {
                    continue;
                }

                foreach (var address in gateway.Addresses)
                {
                    var key = address + "|" + listener.Port;
                    if (!sockets.TryGetValue(key, out var socket))
                    {
                        socket = (listener.Protocol!.Value, new Dictionary<string, string>(StringComparer.Ordinal));
                        sockets[key] = socket;
                    }

                    socket.Hosts.TryAdd(host, gateway.Namespace + "/" + gateway.Name);
                }
            }
        }
    }

    private static RoutingSnapshot BuildSnapshot(List<GatewayState> gateways)
    {
        var bindings = new Dictionary<string, (string Address, int Port, ListenerProtocol Protocol, List<ListenerModel> Listeners)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var gateway in gateways)
        {
            foreach (var listener in gateway.Listeners.Where(l => l.Programmed))
            {
                var model = listener.StreamMode is { } mode
                    ? new ListenerModel(gateway.Namespace, gateway.Name, listener.Name, listener.Hostname,
                        HostnameTable<RouteTable>.Empty, listener.Certificate, StreamRoutes.Build(listener, mode))
                    : new ListenerModel(
                        gateway.Namespace, gateway.Name, listener.Name, listener.Hostname, BuildHosts(listener), listener.Certificate);
                foreach (var address in gateway.Addresses)
                {
                    var key = address + "|" + listener.Port;
                    if (!bindings.TryGetValue(key, out var binding))
                    {
                        binding = (address, listener.Port, listener.Protocol!.Value, []);
                        order.Add(key);
                    }

                    // HTTPS and TLS listeners on one socket: it is a TLS socket that hands HTTPS SNIs on to HTTP.
                    if (listener.Protocol == ListenerProtocol.Tls)
                    {
                        binding.Protocol = ListenerProtocol.Tls;
                    }

                    bindings[key] = binding;
                    binding.Listeners.Add(model);
                }
            }
        }

        return new RoutingSnapshot(order
            .Select(k => bindings[k])
            .Select(b => new PortBinding(b.Address, b.Port, b.Protocol, [.. b.Listeners]))
            .ToImmutableArray());
    }

    /// <summary>
    /// One route table per hostname the listener serves. The table for H holds every attached route whose
    /// effective hostname covers H, ranked by the most specific route hostname that matched, so an exact-host
    /// route wins over a wildcard one before path precedence is even looked at.
    /// </summary>
    private static HostnameTable<RouteTable> BuildHosts(ListenerState listener)
    {
        var keys = listener.Routes.SelectMany(r => r.Hostnames).Select(h => h.Hostname).Distinct(StringComparer.Ordinal).ToList();

        // Only a wildcard (or "*") hostname covers a name other than itself, so a key's candidates are the
        // routes with that exact hostname plus the routes with any wildcard: linear in routes for the usual
        // one-hostname-per-route configs instead of keys x routes.
        var routes = listener.Routes;
        var byExactHost = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        var withWildcard = new List<int>();
        for (var r = 0; r < routes.Count; r++)
        {
            var wildcard = false;
            foreach (var effective in routes[r].Hostnames)
            {
                if (effective.Hostname.StartsWith('*'))
                {
                    wildcard = true;
                }
                else if (!byExactHost.TryGetValue(effective.Hostname, out var list))
                {
                    byExactHost[effective.Hostname] = [r];
                }
                else if (list[^1] != r)
                {
                    list.Add(r);
                }
            }

            if (wildcard)
            {
                withWildcard.Add(r);
            }
        }

        var tables = new List<KeyValuePair<string, RouteTable>>();
        foreach (var key in keys)
        {
            var candidates = new SortedSet<int>(withWildcard);
            if (byExactHost.TryGetValue(key, out var exact))
            {
                candidates.UnionWith(exact);
            }

            var entries = new List<RouteEntry>();
            foreach (var index in candidates)
            {
                var attached = routes[index];
                int? priority = null;
                foreach (var effective in attached.Hostnames)
                {
                    if (HostnameMatch.Covers(effective.Hostname, key))
                    {
                        priority = Math.Max(priority ?? int.MinValue, RouteEntry.HostnamePriorityOf(effective.RouteHostname));
                    }
                }

                if (priority is null)
                {
                    continue;
                }

                foreach (var rule in attached.Route.Rules)
                {
                    for (var i = 0; i < rule.Matches.Count; i++)
                    {
                        entries.Add(new RouteEntry(rule.Matches[i], rule.Model, attached.Route.Created, i, priority.Value));
                    }
                }
            }

            tables.Add(new KeyValuePair<string, RouteTable>(key, new RouteTable(entries)));
        }

        return new HostnameTable<RouteTable>(tables);
    }
}
