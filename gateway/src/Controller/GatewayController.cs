using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.Controller.Provisioning;
using Meshway.Controller.Status;
using Meshway.Controller.Watching;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;
using Meshway.Translation;
using Meshway.Translation.Status;
using Microsoft.Extensions.Logging;

namespace Meshway.Controller;

public sealed record ControllerOptions
{
    public string ControllerName { get; init; } = "meshway.dev/gateway-controller";

    public ProvisioningOptions Provisioning { get; init; } = new();

    /// <summary>Where the leader-election Lease lives (the controller's own namespace).</summary>
    public string LeaseNamespace { get; init; } = "default";

    public string LeaseName { get; init; } = "meshway-controller";

    /// <summary>This replica's name in the Lease (the pod name in a cluster).</summary>
    public string Identity { get; init; } = Environment.MachineName + "-" + Environment.ProcessId;

    public LeaderElectionOptions LeaderElection { get; init; } = new();

    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(100);

    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;
}

/// <summary>
/// `meshway controller`: watches Gateway API objects and what they reference, and, while it holds the Lease,
/// 1. provisions a ServiceAccount + Service + Deployment for each Gateway of our classes (owner references
///    make the API server delete them with the Gateway);
/// 2. translates (per Gateway, as each proxy will) and writes status: GatewayClass (Accepted,
///    supportedFeatures), Gateway (addresses from its Service, conditions, listeners), HTTPRoute and
///    GRPCRoute (our status.parents entries only), BackendTLSPolicy (our status.ancestors entries only),
///    each only when it changed.
/// Replicas that do not lead keep their caches warm and write nothing.
/// </summary>
public sealed partial class GatewayController : IAsyncDisposable
{
    private readonly KubeApiClient _client;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly ClusterWatch _watch;
    private readonly LeaderElector _elector;
    private readonly StatusUpdater _status;
    private readonly TranslationOptions _translation;
    private long _reconciles;
    private long _provisionWrites;

    public GatewayController(KubeApiClient client, ControllerOptions options, ILoggerFactory loggers)
    {
        _client = client;
        _options = options;
        _logger = loggers.CreateLogger("meshway.controller");
        _translation = new TranslationOptions { ControllerName = options.ControllerName };
        _status = new StatusUpdater(client, _logger);
        var managed = new InformerOptions { Selector = new ListSelector(ProxyResources.ManagedByLabel + "=" + ProxyResources.ManagedByValue) };
        _watch = new ClusterWatch(client, [
            new WatchSpec(ResourceKind.GatewayClasses, new InformerOptions()),
            new WatchSpec(ResourceKind.Gateways, new InformerOptions()),
            new WatchSpec(ResourceKind.HttpRoutes, new InformerOptions()),
            new WatchSpec(ResourceKind.GrpcRoutes, new InformerOptions { Optional = true }),
            new WatchSpec(ResourceKind.BackendTlsPolicies, new InformerOptions { Optional = true }),
            new WatchSpec(ResourceKind.ListenerSets, new InformerOptions { Optional = true }),
            new WatchSpec(ResourceKind.ConfigMaps, new InformerOptions()),
            new WatchSpec(ResourceKind.ReferenceGrants, new InformerOptions()),
            new WatchSpec(ResourceKind.Namespaces, new InformerOptions()),
            new WatchSpec(ResourceKind.Services, new InformerOptions()),
            new WatchSpec(ResourceKind.EndpointSlices, new InformerOptions()),
            // Only TLS Secrets can be listener certificates; the field selector keeps other secrets out of memory.
            new WatchSpec(ResourceKind.Secrets, new InformerOptions { Selector = new ListSelector(FieldSelector: "type=" + Secret.TlsType) }),
            new WatchSpec(ResourceKind.Deployments, managed),
            new WatchSpec(ResourceKind.ServiceAccounts, managed),
            .. StreamRouteWatches.Specs(),
        ], ReconcileAsync, loggers, options.Debounce);
        _elector = new LeaderElector(client, options.LeaseNamespace, options.LeaseName, options.Identity, options.LeaderElection, _logger);
        _elector.LeadershipChanged += leader =>
        {
            if (leader)
            {
                _watch.Trigger(); // a new leader catches up on everything at once
            }
        };
    }

    public bool IsLeader => _elector.IsLeader;

    public Task Synced => _watch.Synced;

    /// <summary>Reconcile rounds run as leader.</summary>
    public long Reconciles => Interlocked.Read(ref _reconciles);

    public long StatusWrites => _status.Writes;

    /// <summary>Every request sent to the API server (watches, lists, Lease renewals, writes).</summary>
    public long ApiRequests => _client.RequestCount;

    /// <summary>Creates and updates of provisioned objects.</summary>
    public long ProvisionWrites => Interlocked.Read(ref _provisionWrites);

    /// <summary>The last status computed (leader or not), for the admin endpoint.</summary>
    public StatusReport LastStatus { get; private set; } = StatusReport.Empty;

    public void Start(CancellationToken cancellationToken)
    {
        _elector.Start(cancellationToken);
        _watch.Start(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _watch.DisposeAsync();
        await _elector.DisposeAsync();
    }

    private async Task ReconcileAsync(IReadOnlyList<KubeObject> objects, CancellationToken cancellationToken)
    {
        var classes = objects.OfType<GatewayClass>().Where(c => c.Spec.ControllerName == _options.ControllerName).ToList();
        var classNames = classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var gateways = objects.OfType<Gateway>()
            .Where(g => g.Spec.GatewayClassName is { } c && classNames.Contains(c))
            .OrderBy(g => g.Namespace, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();

        // 1. Translate: classes on their own, then each Gateway in its own world.
        var items = new List<ObjectStatus>();
        items.AddRange(Translator.Translate(GatewayScope.WithoutGateways(objects), _translation).Status.Items.Where(i => i.Kind == "GatewayClass"));
        var routeParents = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        var setPorts = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var gateway in gateways)
        {
            var result = Translator.Translate(GatewayScope.Only(objects, gateway.Namespace, gateway.Name), _translation);
            foreach (var item in result.Status.Items)
            {
                if (item.Kind == "ListenerSet")
                {
                    items.Add(item); // a set has one parent Gateway: its status comes from that Gateway's world only
                    if ((item.Status["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c =>
                            c["type"]?.GetValue<string>() == "Accepted" && c["status"]?.GetValue<string>() == "True") == true)
                    {
                        // The proxy Service must expose the ports the set's listeners add.
                        var ports = setPorts.TryGetValue(gateway.Namespace + "/" + gateway.Name, out var known) ? known : setPorts[gateway.Namespace + "/" + gateway.Name] = [];
                        ports.AddRange((item.Status["listeners"] as JsonArray ?? []).OfType<JsonObject>()
                            .Where(l => l["port"] is not null).Select(l => l["port"]!.GetValue<int>()));
                    }
                }
                else if (item.Kind == "Gateway")
                {
                    var service = objects.OfType<Service>().FirstOrDefault(s => s.Namespace == gateway.Namespace && s.Name == ProxyResources.NameOf(gateway));
                    items.Add(item with { Status = WithServiceAddresses(item.Status, service, gateway.Generation) });
                }
                else if (item.Kind is "HTTPRoute" or "GRPCRoute" or "TLSRoute" or "TCPRoute" or "BackendTLSPolicy")
                {
                    // Route parents, or policy ancestors: each Gateway's translation adds its own entries (keyed by kind: an
                    // HTTPRoute may share a namespace/name with a TLSRoute).
                    var key = item.Kind + "/" + item.Namespace + "/" + item.Name;
                    if (!routeParents.TryGetValue(key, out var parents))
                    {
                        parents = [];
                        routeParents[key] = parents;
                    }

                    parents.AddRange((item.Status[item.Kind == "BackendTLSPolicy" ? "ancestors" : "parents"] as JsonArray ?? []).OfType<JsonObject>());
                }
            }
        }

        // Waypoint Gateways (class controllerName meshway.dev/waypoint-controller): status and provisioning of their own.
        var waypointClasses = objects.OfType<GatewayClass>().Where(c => c.Spec.ControllerName == WaypointResources.ControllerName).ToList();
        var waypointClassNames = waypointClasses.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var waypoints = objects.OfType<Gateway>()
            .Where(g => g.Spec.GatewayClassName is { } c && waypointClassNames.Contains(c))
            .OrderBy(g => g.Namespace, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        items.AddRange(waypointClasses.Select(WaypointResources.ClassStatus));
        foreach (var waypoint in waypoints)
        {
            var service = objects.OfType<Service>().FirstOrDefault(s => s.Namespace == waypoint.Namespace && s.Name == ProxyResources.NameOf(waypoint));
            var item = WaypointResources.Status(waypoint);
            items.Add(item with { Status = WithServiceAddresses(item.Status, service, waypoint.Generation) });
        }

        LastStatus = new StatusReport(items);
        if (!_elector.IsLeader)
        {
            return;
        }

        Interlocked.Increment(ref _reconciles);

        // 2. Provision, then 3. write status (only what changed).
        var provisioned = ProvisionWrites;
        foreach (var gateway in gateways)
        {
            await ProvisionAsync(gateway, setPorts.GetValueOrDefault(gateway.Namespace + "/" + gateway.Name), cancellationToken);
        }

        foreach (var waypoint in waypoints)
        {
            await ProvisionWaypointAsync(waypoint, cancellationToken);
        }

        if (ProvisionWrites != provisioned)
        {
            // A Service just created has its cluster IP now, but this round's view predates it: one more round
            // publishes the address (the watch echo of our own write is de-duplicated and would not trigger it).
            _watch.Trigger();
        }

        var now = _options.Now();
        foreach (var item in items)
        {
            if (item.Kind == "GatewayClass" && objects.OfType<GatewayClass>().FirstOrDefault(c => c.Name == item.Name) is { } gatewayClass)
            {
                await WriteAsync(ResourceKind.GatewayClasses, gatewayClass, s => StatusMerge.Owned(s, item.Status, now), cancellationToken);
            }
            else if (item.Kind == "Gateway" && gateways.Concat(waypoints).FirstOrDefault(g => g.Namespace == item.Namespace && g.Name == item.Name) is { } gateway)
            {
                await WriteAsync(ResourceKind.Gateways, gateway, s => StatusMerge.Owned(s, item.Status, now), cancellationToken);
            }
            else if (item.Kind == "ListenerSet" && objects.OfType<ListenerSet>().FirstOrDefault(l => l.Namespace == item.Namespace && l.Name == item.Name) is { } listenerSet)
            {
                await WriteAsync(ResourceKind.ListenerSets, listenerSet, s => StatusMerge.Owned(s, item.Status, now), cancellationToken);
            }
        }

        // Every route, also those that no longer name one of our Gateways: our old entries must go.
        foreach (var route in objects.OfType<HttpRoute>())
        {
            var ours = routeParents.GetValueOrDefault("HTTPRoute/" + route.Namespace + "/" + route.Name) ?? [];
            await WriteAsync(ResourceKind.HttpRoutes, route, s => StatusMerge.RouteParents(s, ours, _options.ControllerName, now), cancellationToken);
        }

        foreach (var route in objects)
        {
            if (StreamRouteWatches.KindOf(route) is { } kind && StreamRouteWatches.ResourceKindOf(route) is { } resourceKind)
            {
                var ours = routeParents.GetValueOrDefault(kind + "/" + route.Namespace + "/" + route.Name) ?? [];
                await WriteAsync(resourceKind, route, s => StatusMerge.RouteParents(s, ours, _options.ControllerName, now), cancellationToken);
            }
        }

        foreach (var route in objects.OfType<GrpcRoute>())
        {
            var ours = routeParents.GetValueOrDefault("GRPCRoute/" + route.Namespace + "/" + route.Name) ?? [];
            await WriteAsync(ResourceKind.GrpcRoutes, route, s => StatusMerge.RouteParents(s, ours, _options.ControllerName, now), cancellationToken);
        }

        foreach (var policy in objects.OfType<BackendTlsPolicy>())
        {
            var ours = routeParents.GetValueOrDefault("BackendTLSPolicy/" + policy.Namespace + "/" + policy.Name) ?? [];
            await WriteAsync(ResourceKind.BackendTlsPolicies, policy, s => StatusMerge.PolicyAncestors(s, ours, _options.ControllerName, now), cancellationToken);
        }
    }

    private async Task WriteAsync(ResourceKind kind, KubeObject obj, Func<JsonObject?, JsonObject> compute, CancellationToken cancellationToken)
    {
        var written = await _status.UpdateAsync(kind, obj, compute, cancellationToken);
        if (written is not null && _watch.InformerFor(kind) is { } informer && written.Deserialize(kind.TypeInfo) is KubeObject stored)
        {
            // The cache learns our write now, so a round that runs before the watch echo does not write again.
            informer.Store(stored);
        }
    }

    /// <summary>
    /// In a cluster a Gateway's address is its Service's: load-balancer ingress once assigned, else the cluster
    /// IP. Until there is one the Gateway is not Programmed (AddressNotAssigned).
    /// </summary>
    private static JsonObject WithServiceAddresses(JsonObject status, Service? service, long generation)
    {
        var addresses = new JsonArray();
        foreach (var ingress in service?.Status?.LoadBalancer?.Ingress ?? [])
        {
            if (!string.IsNullOrEmpty(ingress.Ip))
            {
                addresses.Add(new JsonObject { ["type"] = "IPAddress", ["value"] = ingress.Ip });
            }
            else if (!string.IsNullOrEmpty(ingress.Hostname))
            {
                addresses.Add(new JsonObject { ["type"] = "Hostname", ["value"] = ingress.Hostname });
            }
        }

        if (addresses.Count == 0 && service?.Spec.ClusterIP is { Length: > 0 } clusterIp && clusterIp != "None")
        {
            addresses.Add(new JsonObject { ["type"] = "IPAddress", ["value"] = clusterIp });
        }

        var result = status.DeepClone().AsObject();
        result["addresses"] = addresses;
        if (addresses.Count == 0 && result["conditions"] is JsonArray conditions)
        {
            foreach (var condition in conditions.OfType<JsonObject>())
            {
                if (condition["type"]?.GetValue<string>() == Reasons.Programmed && condition["status"]?.GetValue<string>() == "True")
                {
                    condition["status"] = "False";
                    condition["reason"] = "AddressNotAssigned";
                    condition["message"] = "waiting for the proxy Service to get an address";
                    condition["observedGeneration"] = generation;
                }
            }
        }

        return result;
    }

    private async Task ProvisionAsync(Gateway gateway, IEnumerable<int>? listenerSetPorts, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(gateway.Metadata.Uid))
        {
            return; // an owner reference needs the Gateway's uid; a real API server always has one
        }

        await EnsureAsync(ResourceKind.ServiceAccounts, gateway, ProxyResources.ServiceAccount(gateway), cancellationToken);
        await EnsureAsync(ResourceKind.Services, gateway, ProxyResources.Service(gateway, _options.Provisioning, listenerSetPorts), cancellationToken);
        await EnsureAsync(ResourceKind.Deployments, gateway, ProxyResources.Deployment(gateway, _options.Provisioning), cancellationToken);
    }

    private async Task ProvisionWaypointAsync(Gateway gateway, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(gateway.Metadata.Uid))
        {
            return;
        }

        await EnsureAsync(ResourceKind.ServiceAccounts, gateway, ProxyResources.ServiceAccount(gateway), cancellationToken);
        await EnsureAsync(ResourceKind.Services, gateway, WaypointResources.Service(gateway), cancellationToken);
        await EnsureAsync(ResourceKind.Deployments, gateway, WaypointResources.Deployment(gateway, _options.Provisioning), cancellationToken);
    }

    /// <summary>Creates the object, or updates it when the live one does not say what we want; else nothing.</summary>
    private async Task EnsureAsync(ResourceKind kind, Gateway gateway, JsonObject desired, CancellationToken cancellationToken)
    {
        var name = ProxyResources.NameOf(gateway);
        var informer = _watch.InformerFor(kind)!;
        var cached = informer.Get(gateway.Namespace, name);
        try
        {
            JsonObject written;
            if (cached is null)
            {
                written = await _client.CreateAsync(kind, gateway.Namespace, desired, cancellationToken);
                LogProvisioned(_logger, kind.Kind, gateway.Namespace, name, "created");
            }
            else
            {
                var live = JsonSerializer.SerializeToNode(cached, kind.TypeInfo)!.AsObject();
                if (JsonSubset.Contains(live, desired))
                {
                    return;
                }

                written = await _client.ReplaceAsync(kind, gateway.Namespace, name, JsonSubset.Overlay(live, desired), cancellationToken);
                LogProvisioned(_logger, kind.Kind, gateway.Namespace, name, "updated");
            }

            Interlocked.Increment(ref _provisionWrites);
            if (written.Deserialize(kind.TypeInfo) is KubeObject stored)
            {
                informer.Store(stored);
            }
        }
        catch (KubeApiException ex) when (ex.IsConflict)
        {
            // Our cache was behind (it exists already, or changed): the watch brings the news and another round.
            _watch.Trigger();
        }
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "{Kind} {Namespace}/{Name} {Action} for its Gateway")]
    private static partial void LogProvisioned(ILogger logger, string kind, string @namespace, string name, string action);
}
