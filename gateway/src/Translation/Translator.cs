using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Caching;
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
    public static TranslationResult Translate(ResourceSet resources, TranslationOptions options) =>
        Translate(resources, options, cache: null);

    /// <summary>
    /// Translates as above, reusing the compiled routes of earlier translations from <paramref name="cache"/>
    /// where nothing they depend on changed (see <see cref="TranslationCache"/>); the result is the same as
    /// without a cache.
    /// </summary>
    public static TranslationResult Translate(ResourceSet resources, TranslationOptions options, TranslationCache? cache)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(options);
        if (cache is null)
        {
            return TranslateCore(resources, options, null);
        }

        cache.Begin(resources);
        try
        {
            var result = TranslateCore(resources, options, cache);
            cache.End();
            return result;
        }
        catch
        {
            cache.Reset();
            throw;
        }
    }

    private static TranslationResult TranslateCore(ResourceSet resources, TranslationOptions options, TranslationCache? cache)
    {

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
        var setsByKey = gateways.SelectMany(g => g.ListenerSets).ToDictionary(s => s.Namespace + "/" + s.Name, StringComparer.Ordinal);

        // 2. Routes with a parentRef to one of our Gateways: compile once, attach per parentRef.
        var routeResults = new List<(CompiledRoute Route, List<ParentResult> Parents)>();
        foreach (var route in resources.HttpRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => HttpRouteCompiler.Compile(route, resources), gatewaysByKey, setsByKey, resources, routeResults, cache);
        }

        foreach (var route in resources.GrpcRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => GrpcRouteCompiler.Compile(route, resources), gatewaysByKey, setsByKey, resources, routeResults, cache);
        }

        foreach (var route in resources.TlsRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => StreamRouteCompiler.Compile(route, resources), gatewaysByKey, setsByKey, resources, routeResults, cache);
        }

        foreach (var route in resources.TcpRoutes)
        {
            AttachRoute(route, route.Spec.ParentRefs, () => StreamRouteCompiler.Compile(route, resources), gatewaysByKey, setsByKey, resources, routeResults, cache);
        }

        RouteKindConflicts.Resolve(gateways, routeResults);
        StreamRouteConflicts.Resolve(gateways, routeResults);

        // 3. The snapshot, then the status of everything we looked at.
        var snapshot = BuildSnapshot(gateways, cache);
        var items = new List<ObjectStatus>();
        items.AddRange(classes.Select(StatusWriter.GatewayClass));
        items.AddRange(gateways
            .OrderBy(g => g.Namespace, StringComparer.Ordinal)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .Select(StatusWriter.Gateway));
        items.AddRange(gateways.SelectMany(g => g.ListenerSets)
            .OrderBy(s => s.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(ListenerSets.Status));
        items.AddRange(routeResults.Select(r => cache is null
            ? StatusWriter.HttpRoute(r.Route, r.Parents, options.ControllerName)
            : cache.GetOrWriteStatus(r.Route, r.Parents, options.ControllerName, () => StatusWriter.HttpRoute(r.Route, r.Parents, options.ControllerName))));
        items.AddRange(BackendTlsPolicyStatus.Write(resources, routeResults, options.ControllerName));
        return new TranslationResult(snapshot, new StatusReport(items));
    }

    private static void AttachRoute(
        KubeObject route,
        List<ParentReference>? parentRefs,
        Func<CompiledRoute> compile,
        Dictionary<string, GatewayState> gatewaysByKey,
        Dictionary<string, ListenerSetState> setsByKey,
        ResourceSet resources,
        List<(CompiledRoute Route, List<ParentResult> Parents)> routeResults,
        TranslationCache? cache)
    {
        var parents = new List<(ParentReference Ref, GatewayState? Gateway, ListenerSetState? Set)>();
        foreach (var p in parentRefs ?? [])
        {
            var key = p is null ? "" : (string.IsNullOrEmpty(p.Namespace) ? route.Namespace : p.Namespace) + "/" + p.Name;
            if (p is not null && IsGatewayRef(p) && gatewaysByKey.GetValueOrDefault(key) is { } gateway)
            {
                parents.Add((p, gateway, null));
            }
            else if (p is not null && IsListenerSetRef(p) && setsByKey.GetValueOrDefault(key) is { } set)
            {
                parents.Add((p, set.Gateway, set));
            }
        }

        if (parents.Count == 0)
        {
            return;
        }

        var compiled = cache is null ? compile() : cache.GetOrCompile(route, compile);
        var results = new List<ParentResult>();

        // Where this route already sits on a listener: only this call attaches `compiled`, so a local map
        // replaces a scan of the listener's whole route list (which made attaching n routes O(n^2)).
        // One parentRef (the usual case) lists each listener once, so the map is only needed for several.
        var attachedAt = parents.Count > 1 ? new Dictionary<ListenerState, int>(ReferenceEqualityComparer.Instance) : null;
        foreach (var (parentRef, gateway, set) in parents)
        {
            var result = RouteAttachment.Attach(compiled, parentRef, gateway!, resources, set);
            if (result.Error is null && compiled.AcceptError is not null)
            {
                result = result with { Listeners = [], Error = compiled.AcceptError };
            }

            foreach (var (listener, hostnames) in result.Listeners)
            {
                if (attachedAt is null)
                {
                    listener.Routes.Add(new AttachedRoute(compiled, hostnames));
                }
                else if (!attachedAt.TryGetValue(listener, out var existing))
                {
                    attachedAt[listener] = listener.Routes.Count;
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

    private static bool IsListenerSetRef(ParentReference parentRef) =>
        (parentRef.Group ?? KubeKinds.GatewayGroup) == KubeKinds.GatewayGroup
        && parentRef.Kind == ListenerSets.Kind
        && !string.IsNullOrEmpty(parentRef.Name);

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

    private static RoutingSnapshot BuildSnapshot(List<GatewayState> gateways, TranslationCache? cache)
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
                        gateway.Namespace, gateway.Name, listener.Name, listener.Hostname, BuildHosts(listener, cache), listener.Certificate,
                        clientValidation: listener.ClientValidation, backendClientCertificate: gateway.BackendClientCertificate);
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
    private static HostnameTable<RouteTable> BuildHosts(ListenerState listener, TranslationCache? cache)
    {
        // Only a wildcard (or "*") hostname covers a name other than itself, so a key's candidates are the
        // routes with that exact hostname plus the routes with any wildcard: linear in routes for the usual
        // one-hostname-per-route configs instead of keys x routes.
        // The table's keys: every effective hostname once, in first-seen order (collected in the same pass).
        var routes = listener.Routes;
        var keys = new List<string>(routes.Count);
        var seen = new HashSet<string>(routes.Count, StringComparer.Ordinal);
        var byExactHost = new Dictionary<string, List<int>>(routes.Count, StringComparer.OrdinalIgnoreCase);
        var withWildcard = new List<int>();
        for (var r = 0; r < routes.Count; r++)
        {
            var wildcard = false;
            foreach (var effective in routes[r].Hostnames)
            {
                if (seen.Add(effective.Hostname))
                {
                    keys.Add(effective.Hostname);
                }

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
        var listenerKey = listener.Gateway.Namespace + "/" + listener.Gateway.Name + "/" + listener.Name;
        var members = new List<(CompiledRoute Route, int Priority)>();
        foreach (var key in keys)
        {
            // Without wildcard routes the candidates are the exact-host list, already in route order: no
            // sorted set per hostname (thousands of them at thousands of routes).
            byExactHost.TryGetValue(key, out var exact);
            var candidates = withWildcard.Count == 0 ? exact : [.. new SortedSet<int>(withWildcard.Concat(exact ?? []))];

            members.Clear();
            for (var c = 0; c < (candidates?.Count ?? 0); c++)
            {
                var attached = routes[candidates![c]];
                int? priority = null;
                foreach (var effective in attached.Hostnames)
                {
                    if (HostnameMatch.Covers(effective.Hostname, key))
                    {
                        priority = Math.Max(priority ?? int.MinValue, RouteEntry.HostnamePriorityOf(effective.RouteHostname));
                    }
                }

                if (priority is not null)
                {
                    members.Add((attached.Route, priority.Value));
                }
            }

            // A table is a function of its member routes (compiled, so by reference) and their priorities:
            // the cache hands back the last translation's table when those are the same.
            var table = cache is null ? BuildTable(members) : cache.GetOrBuildTable(listenerKey, key, members, BuildTable);
            tables.Add(new KeyValuePair<string, RouteTable>(key, table));
        }

        return new HostnameTable<RouteTable>(tables);
    }

    private static RouteTable BuildTable(List<(CompiledRoute Route, int Priority)> members)
    {
        var entries = new List<RouteEntry>();
        foreach (var (route, priority) in members)
        {
            foreach (var rule in route.Rules)
            {
                for (var i = 0; i < rule.Matches.Count; i++)
                {
                    entries.Add(new RouteEntry(rule.Matches[i], rule.Model, route.Created, i, priority));
                }
            }
        }

        return new RouteTable(entries);
    }
}
