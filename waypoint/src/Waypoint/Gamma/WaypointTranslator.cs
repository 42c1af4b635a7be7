using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Mtls.Identity;
using Meshway.Routing.Backends;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Routes;
using Meshway.Translation.Status;
using Meshway.Waypoint.Model;
using Meshway.Waypoint.Selection;

namespace Meshway.Waypoint.Gamma;

/// <summary>What waypoint translation is told about its environment.</summary>
public sealed record WaypointTranslationOptions
{
    public const string DefaultControllerName = "meshway.dev/waypoint-controller";

    public string ControllerName { get; init; } = DefaultControllerName;

    public string TrustDomain { get; init; } = SpiffeId.DefaultTrustDomain;

    /// <summary>A waypoint Gateway without spec.addresses listens here.</summary>
    public string DefaultBindAddress { get; init; } = "0.0.0.0";
}

/// <summary>One waypoint Gateway of ours that can serve: where its HBONE listener binds.</summary>
/// <param name="ProxyPort">the sandwich binding's port (annotation ambient.istio.io/waypoint-inbound-binding: PROXY/PORT), or null.</param>
public sealed record WaypointListener(string Namespace, string Name, ImmutableArray<string> Addresses, int Port, int? ProxyPort = null)
{
    public string Key => Namespace + "/" + Name;
}

public sealed record WaypointTranslationResult(
    WaypointSnapshot Snapshot, ImmutableArray<WaypointListener> Listeners, StatusReport Status);

/// <summary>
/// The waypoint's pure translation: waypoint Gateways of our class, the Services bound to them
/// (istio.io/use-waypoint), and GAMMA routes (HTTPRoute parentRefs of kind Service) compiled with the
/// same compiler as Gateway routes into one route table per Service port and client scope. No I/O, no
/// clock; problems become status conditions.
/// </summary>
public static class WaypointTranslator
{
    public const string HbonePortName = "HBONE";
    public const int HbonePort = 15008;

    public static WaypointTranslationResult Translate(ResourceSet resources, WaypointTranslationOptions options)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(options);
        var statuses = new List<ObjectStatus>();

        // 1. Our classes and their Gateways; a waypoint needs one HBONE listener on 15008.
        var classes = resources.GatewayClasses.Where(c => c.Spec.ControllerName == options.ControllerName).ToList();
        var classByName = classes.ToDictionary(c => c.Name, StringComparer.Ordinal);
        statuses.AddRange(classes.Select(c => Item(c, new JsonObject
        {
            ["conditions"] = Conditions([(Reasons.Accepted, true, Reasons.Accepted, "Handled by " + options.ControllerName)], c.Generation),
        })));
        var waypoints = new Dictionary<string, (Gateway Gateway, GatewayListener Listener, WaypointFor Traffic, WaypointListener Binding)>(StringComparer.Ordinal);
        foreach (var gateway in resources.Gateways)
        {
            if (gateway.Spec.GatewayClassName is not { } className || !classByName.TryGetValue(className, out var gatewayClass))
            {
                continue;
            }

            var (listener, binding, status) = TranslateGateway(gateway, options);
            statuses.Add(status);
            if (listener is not null && binding is not null)
            {
                binding = binding with { ProxyPort = InboundBinding.ProxyPortOf(gateway, gatewayClass) };
                waypoints[gateway.Namespace + "/" + gateway.Name] = (gateway, listener, WaypointSelector.TrafficOf(gateway, gatewayClass), binding);
            }
        }

        // 2. Services bound to one of our waypoints (and allowed by its listener), one target per port.
        var bound = new Dictionary<string, (Service Service, string Waypoint)>(StringComparer.Ordinal);
        foreach (var service in resources.Services)
        {
            if (WaypointSelector.WaypointOf(service, resources) is not { } key
                || !waypoints.TryGetValue(key, out var waypoint)
                || !WaypointSelector.ServesServices(waypoint.Traffic)
                || !AllowsNamespace(waypoint.Listener, waypoint.Gateway.Namespace, service.Namespace, resources))
            {
                continue;
            }

            bound[service.Namespace + "/" + service.Name] = (service, key);
        }

        // 3. GAMMA routes: parentRefs to bound Services; producer (same namespace) or consumer (other namespace).
        var attachments = new List<(string ServiceKey, int? Port, string? ConsumerNamespace, CompiledRouteView Route)>();
        void Attach(KubeObject route, IEnumerable<ParentReference?>? parentRefs, Func<CompiledRouteView> compile)
        {
            var parents = (parentRefs ?? []).Where(p => p is not null && IsServiceRef(p)).Select(p => p!).ToList();
            var ours = parents
                .Select(p => (Ref: p, Key: (string.IsNullOrEmpty(p.Namespace) ? route.Namespace : p.Namespace) + "/" + p.Name))
                .Where(p => bound.ContainsKey(p.Key))
                .ToList();
            if (ours.Count == 0)
            {
                return;
            }

            var compiled = compile();
            var parentStatus = new JsonArray();
            foreach (var (parentRef, key) in ours)
            {
                var service = bound[key].Service;
                var problem = compiled.AcceptError;
                if (problem is null && parentRef.Port is { } port && service.Spec.Ports?.Exists(p => p?.Port == port) != true)
                {
                    problem = new RouteProblem(Reasons.NoMatchingParent, $"Service {key} has no port {port}");
                }

                if (problem is null)
                {
                    var consumer = route.Namespace == service.Namespace ? null : route.Namespace;
                    attachments.Add((key, parentRef.Port, consumer, compiled));
                }

                parentStatus.Add(ParentStatus(parentRef, compiled, problem, route.Generation, options.ControllerName));
            }

            statuses.Add(Item(route, new JsonObject { ["parents"] = parentStatus }));
        }

        foreach (var route in resources.HttpRoutes)
        {
            Attach(route, route.Spec.ParentRefs, () => RouteCompilation.Compile(route, resources));
        }

        // MeshGRPCRoute: the same binding; rules match service/method and reach h2c backends.
        foreach (var route in resources.GrpcRoutes)
        {
            Attach(route, route.Spec.ParentRefs, () => RouteCompilation.Compile(route, resources));
        }

        // 4. One target per bound Service port with a usable VIP.
        var targets = new Dictionary<string, ServiceTarget>(StringComparer.Ordinal);
        foreach (var (key, (service, waypoint)) in bound)
        {
            if (!IPAddress.TryParse(service.Spec.ClusterIP, out var vip))
            {
                continue; // headless ("None") or unset: nothing addresses it by VIP
            }

            foreach (var port in service.Spec.Ports ?? [])
            {
                if (port is null || port.Port is < 1 or > 65535)
                {
                    continue;
                }

                var (backend, _) = RouteCompilation.ServiceBackend(resources, service.Namespace, service.Name, port.Port);
                var mine = attachments.Where(a => a.ServiceKey == key && (a.Port is null || a.Port == port.Port)).ToList();
                var producer = mine.Where(a => a.ConsumerNamespace is null).Select(a => a.Route).ToList();
                var consumers = mine
                    .Where(a => a.ConsumerNamespace is not null)
                    .GroupBy(a => a.ConsumerNamespace!, StringComparer.Ordinal)
                    .ToFrozenDictionary(g => g.Key, g => Table(g.Select(a => a.Route), service, backend), StringComparer.Ordinal);
                var authority = Authority(vip, port.Port);
                targets[authority] = new ServiceTarget(
                    service.Namespace, service.Name, vip.ToString(), port.Port, ProtocolOf(port), backend,
                    Table(producer, service, backend), consumers, waypoint);
            }
        }

        var snapshot = new WaypointSnapshot(
            targets.ToFrozenDictionary(StringComparer.Ordinal),
            Workloads(resources, options.TrustDomain, pod =>
                WaypointSelector.WaypointOf(pod, resources) is { } key
                && waypoints.TryGetValue(key, out var waypoint)
                && WaypointSelector.ServesWorkloads(waypoint.Traffic)
                && AllowsNamespace(waypoint.Listener, waypoint.Gateway.Namespace, pod.Namespace, resources)
                    ? key
                    : null));
        var listeners = waypoints.Values
            .Select(w => w.Binding)
            .OrderBy(w => w.Namespace, StringComparer.Ordinal)
            .ThenBy(w => w.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        return new WaypointTranslationResult(snapshot, listeners, new StatusReport(statuses));
    }

    /// <summary>"ip:port", "[v6]:port" for IPv6: the form of an HBONE :authority.</summary>
    public static string Authority(IPAddress address, int port) =>
        (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString())
        + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static (GatewayListener? Listener, WaypointListener? Binding, ObjectStatus Status) TranslateGateway(Gateway gateway, WaypointTranslationOptions options)
    {
        var listenerStatus = new JsonArray();
        GatewayListener? hbone = null;
        foreach (var listener in gateway.Spec.Listeners ?? [])
        {
            if (listener is null)
            {
                continue;
            }

            var ok = listener.Protocol == HbonePortName && listener.Port == HbonePort && hbone is null;
            if (ok)
            {
                hbone = listener;
            }

            var reason = ok ? Reasons.Accepted : Reasons.UnsupportedProtocol;
            var message = ok ? "HBONE listener accepted" : $"a waypoint serves one listener {{protocol: HBONE, port: 15008}}; {listener.Protocol}/{listener.Port} is not supported";
            listenerStatus.Add(new JsonObject
            {
                ["name"] = listener.Name,
                ["supportedKinds"] = new JsonArray(),
                ["attachedRoutes"] = 0,
                ["conditions"] = Conditions(
                    [(Reasons.Accepted, ok, reason, message), (Reasons.Programmed, ok, ok ? Reasons.Programmed : Reasons.Invalid, message)],
                    gateway.Generation),
            });
        }

        var addresses = new List<string>();
        string? addressError = null;
        foreach (var address in gateway.Spec.Addresses ?? [])
        {
            if (address?.Value is { Length: > 0 } value && IPAddress.TryParse(value, out var ip) && (address.Type ?? "IPAddress") == "IPAddress")
            {
                addresses.Add(ip.ToString());
            }
            else if (address is not null && !string.IsNullOrEmpty(address.Value))
            {
                addressError = $"address \"{address.Value}\" is not an IP address";
            }
        }

        if (addresses.Count == 0)
        {
            addresses.Add(options.DefaultBindAddress);
        }

        (string, bool, string, string) accepted = addressError is not null
            ? (Reasons.Accepted, false, Reasons.UnsupportedAddress, addressError)
            : hbone is null
                ? (Reasons.Accepted, false, Reasons.ListenersNotValid, "a waypoint needs a listener {name: mesh, port: 15008, protocol: HBONE}")
                : (Reasons.Accepted, true, Reasons.Accepted, "Waypoint accepted");
        var serving = accepted.Item2;
        var status = new JsonObject
        {
            // istiod treats a Gateway named by use-waypoint as a waypoint once status.addresses is set.
            ["addresses"] = serving
                ? new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject { ["type"] = "IPAddress", ["value"] = a })])
                : new JsonArray(),
            ["conditions"] = Conditions(
                [accepted, (Reasons.Programmed, serving, serving ? Reasons.Programmed : Reasons.Invalid, serving ? "HBONE listener programmed" : accepted.Item4)],
                gateway.Generation),
            ["listeners"] = listenerStatus,
        };
        return serving
            ? (hbone, new WaypointListener(gateway.Namespace, gateway.Name, [.. addresses], HbonePort), Item(gateway, status))
            : (null, null, Item(gateway, status));
    }

    private static bool AllowsNamespace(GatewayListener listener, string gatewayNamespace, string serviceNamespace, ResourceSet resources)
    {
        var from = listener.AllowedRoutes?.Namespaces?.From ?? "Same";
        switch (from)
        {
            case "All":
                return true;
            case "Selector":
                var selector = listener.AllowedRoutes?.Namespaces?.Selector?.MatchLabels ?? [];
                var labels = resources.FindNamespace(serviceNamespace)?.Metadata.Labels ?? [];
                return selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
            default:
                return serviceNamespace == gatewayNamespace;
        }
    }

    private static bool IsServiceRef(ParentReference parentRef) =>
        string.IsNullOrEmpty(parentRef.Group) && parentRef.Kind == "Service" && !string.IsNullOrEmpty(parentRef.Name);

    /// <summary>
    /// Istio's protocol selection, reduced: appProtocol first, then the port name prefix; only an explicit
    /// TCP port is proxied as bytes, everything else is parsed as HTTP.
    /// </summary>
    private static ServiceProtocol ProtocolOf(ServicePort port)
    {
        var declared = port.AppProtocol ?? port.Name?.Split('-', 2)[0];
        return declared is not null && (declared.Equals("tcp", StringComparison.OrdinalIgnoreCase)
            || declared.Equals("tls", StringComparison.OrdinalIgnoreCase)
            || declared.Equals("mongo", StringComparison.OrdinalIgnoreCase)
            || declared.Equals("mysql", StringComparison.OrdinalIgnoreCase)
            || declared.Equals("redis", StringComparison.OrdinalIgnoreCase))
            ? ServiceProtocol.Tcp
            : ServiceProtocol.Http;
    }

    /// <summary>The route table of some routes for one Service port; without routes, one catch-all entry to the Service.</summary>
    private static RouteTable Table(IEnumerable<CompiledRouteView> routes, Service service, BackendModel backend)
    {
        var entries = new List<RouteEntry>();
        foreach (var route in routes)
        {
            foreach (var rule in route.Rules)
            {
                for (var i = 0; i < rule.Matches.Count; i++)
                {
                    entries.Add(new RouteEntry(rule.Matches[i], rule.Rule, route.Created, i));
                }
            }
        }

        if (entries.Count == 0)
        {
            var passThrough = new RouteRuleModel(new RouteRef("Service", service.Namespace, service.Name), 0, null, [], new BackendSet([backend]));
            entries.Add(new RouteEntry(new RouteMatch(), passThrough, DateTimeOffset.MaxValue, 0));
        }

        return new RouteTable(entries);
    }

    private static FrozenDictionary<string, WorkloadInfo> Workloads(ResourceSet resources, string trustDomain, Func<Pod, string?> waypointOf)
    {
        var result = new Dictionary<string, WorkloadInfo>(StringComparer.Ordinal);
        foreach (var pod in resources.Pods)
        {
            var sa = string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
            SpiffeId identity;
            try
            {
                identity = SpiffeId.Create(trustDomain, pod.Namespace, sa);
            }
            catch (ArgumentException)
            {
                continue; // a name SPIFFE cannot carry: such a pod has no mesh identity
            }

            var ambient = IsAmbient(pod, resources);
            var info = new WorkloadInfo(pod.Namespace, pod.Name, identity, ambient, ambient ? waypointOf(pod) : null);
            foreach (var ip in PodIps(pod))
            {
                result.TryAdd(ip, info);
            }
        }

        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Ambient: annotated as redirected by the CNI, or labelled (pod, else namespace) dataplane-mode=ambient and not opted out.</summary>
    private static bool IsAmbient(Pod pod, ResourceSet resources)
    {
        if (pod.Metadata.Annotations?.GetValueOrDefault(WaypointLabels.AmbientRedirection) == "enabled")
        {
            return true;
        }

        var mode = pod.Metadata.Labels?.GetValueOrDefault(WaypointLabels.DataplaneMode)
            ?? resources.FindNamespace(pod.Namespace)?.Metadata.Labels?.GetValueOrDefault(WaypointLabels.DataplaneMode);
        return mode == "ambient";
    }

    private static IEnumerable<string> PodIps(Pod pod)
    {
        if (IPAddress.TryParse(pod.Status.PodIP, out var ip))
        {
            yield return ip.ToString();
        }

        foreach (var entry in pod.Status.PodIPs ?? [])
        {
            if (IPAddress.TryParse(entry?.Ip, out var other))
            {
                yield return other.ToString();
            }
        }
    }

    private static JsonObject ParentStatus(ParentReference parentRef, CompiledRouteView route, RouteProblem? problem, long generation, string controllerName)
    {
        var conditions = new List<(string, bool, string, string)>
        {
            problem is null
                ? (Reasons.Accepted, true, Reasons.Accepted, "Route accepted by the waypoint of the Service")
                : (Reasons.Accepted, false, problem.Reason, problem.Message),
            route.ResolveError is { } error
                ? (Reasons.ResolvedRefs, false, error.Reason, error.Message)
                : (Reasons.ResolvedRefs, true, Reasons.ResolvedRefs, "All references resolved"),
        };
        if (route.DroppedRules.Count > 0 && route.Rules.Count > 0 && route.AcceptError is null)
        {
            conditions.Add((Reasons.PartiallyInvalid, true, Reasons.UnsupportedValue, string.Join("; ", route.DroppedRules)));
        }

        var refJson = new JsonObject { ["group"] = parentRef.Group ?? "", ["kind"] = parentRef.Kind };
        if (parentRef.Namespace is not null)
        {
            refJson["namespace"] = parentRef.Namespace;
        }

        refJson["name"] = parentRef.Name;
        if (parentRef.Port is not null)
        {
            refJson["port"] = parentRef.Port;
        }

        return new JsonObject
        {
            ["parentRef"] = refJson,
            ["controllerName"] = controllerName,
            ["conditions"] = Conditions(conditions, generation),
        };
    }

    private static JsonArray Conditions(IEnumerable<(string Type, bool Status, string Reason, string Message)> conditions, long generation)
    {
        var array = new JsonArray();
        foreach (var (type, status, reason, message) in conditions)
        {
            array.Add(new JsonObject
            {
                ["type"] = type,
                ["status"] = status ? "True" : "False",
                ["reason"] = reason,
                ["message"] = message,
                ["observedGeneration"] = generation,
            });
        }

        return array;
    }

    private static ObjectStatus Item(KubeObject obj, JsonObject status) =>
        new(obj.ApiVersion, obj.Kind, obj.IsNamespaced ? obj.Namespace : null, obj.Name, obj.Generation, status);
}
