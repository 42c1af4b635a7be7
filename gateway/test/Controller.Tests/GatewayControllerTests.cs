using System.Text.Json.Nodes;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Controller.Tests;

/// <summary>The controller against the in-test API server: provisioning, status, idempotence, leadership.</summary>
public sealed class GatewayControllerTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;
    private DateTimeOffset _now = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
    private readonly List<GatewayController> _controllers = [];

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        foreach (var controller in _controllers)
        {
            await controller.DisposeAsync();
        }

        _client.Dispose();
        await _server.DisposeAsync();
    }

    private GatewayController Start(string identity = "c1")
    {
        var controller = new GatewayController(_client, new ControllerOptions
        {
            Identity = identity,
            LeaseNamespace = "meshway-system",
            Debounce = TimeSpan.FromMilliseconds(20),
            LeaderElection = new LeaderElectionOptions
            {
                LeaseDuration = TimeSpan.FromSeconds(1),
                RenewDeadline = TimeSpan.FromMilliseconds(700),
                RetryPeriod = TimeSpan.FromMilliseconds(100),
            },
            Now = () => _now,
        }, NullLoggerFactory.Instance);
        _controllers.Add(controller);
        controller.Start(CancellationToken.None);
        return controller;
    }

    private void ApplyWorld()
    {
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"meshway"},"spec":{"controllerName":"meshway.dev/gateway-controller"}}""");
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"other"},"spec":{"controllerName":"example.com/other"}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"infra","annotations":{"meshway.dev/service-type":"ClusterIP"}},
             "spec":{"gatewayClassName":"meshway","infrastructure":{"labels":{"team":"net"},"annotations":{"cost-center":"42"}},
                     "listeners":[{"name":"http","port":8080,"protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"All"} } }]}}
            """);
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"HTTPRoute","metadata":{"name":"web","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"hostnames":["web.example.com"],
                     "rules":[{"backendRefs":[{"name":"web","port":80}]}]}}
            """);
        _server.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"apps"},"spec":{"ports":[{"port":80}]}}""");
    }

    private JsonObject? Status(string kind, string? ns, string name) =>
        _server.Get(kind == "Service" ? "v1" : Gw, kind, ns, name)?["status"] as JsonObject;

    private static JsonObject? Condition(JsonNode? conditions, string type) =>
        (conditions as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    /// <summary>PUTs and POSTs other than the Lease's (renewals go on while leading).</summary>
    private int NonLeaseWrites() => _server.Requests.Count(r =>
        (r.StartsWith("PUT ", StringComparison.Ordinal) || r.StartsWith("POST ", StringComparison.Ordinal)) && !r.Contains("/leases", StringComparison.Ordinal));

    private bool GatewayProgrammedWithAddress() =>
        Status("Gateway", "infra", "edge") is { } s
        && Condition(s["conditions"], "Programmed")?["status"]?.GetValue<string>() == "True"
        && (s["addresses"] as JsonArray)?.Count == 1;

    [Fact]
    public async Task Gateway_IsProvisionedWithOwnerReferences_AndGetsAddressesAndStatusFromItsService()
    {
        ApplyWorld();
        Start();

        await Wait.UntilAsync(GatewayProgrammedWithAddress, "Gateway Programmed with an address");

        var gateway = _server.Get(Gw, "Gateway", "infra", "edge")!;
        var uid = gateway["metadata"]!["uid"]!.GetValue<string>();
        foreach (var (apiVersion, kind) in new[] { ("v1", "ServiceAccount"), ("v1", "Service"), ("apps/v1", "Deployment") })
        {
            var obj = _server.Get(apiVersion, kind, "infra", "edge-meshway");
            Assert.True(obj is not null, kind + " edge-meshway was not provisioned");
            var owner = Assert.Single(obj!["metadata"]!["ownerReferences"]!.AsArray())!;
            Assert.Equal(uid, owner["uid"]!.GetValue<string>());
            Assert.Equal("Gateway", owner["kind"]!.GetValue<string>());
            Assert.True(owner["controller"]!.GetValue<bool>());
            Assert.Equal("net", obj["metadata"]!["labels"]!["team"]!.GetValue<string>());
            Assert.Equal("42", obj["metadata"]!["annotations"]!["cost-center"]!.GetValue<string>());
        }

        var service = _server.Get("v1", "Service", "infra", "edge-meshway")!;
        Assert.Equal("ClusterIP", service["spec"]!["type"]!.GetValue<string>());
        Assert.Equal(8080, service["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("edge", service["spec"]!["selector"]!["gateway.networking.k8s.io/gateway-name"]!.GetValue<string>());
        var deployment = _server.Get("apps/v1", "Deployment", "infra", "edge-meshway")!;
        Assert.Equal(["proxy", "--gateway", "infra/edge"], deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));

        var status = Status("Gateway", "infra", "edge")!;
        Assert.Equal(service["spec"]!["clusterIP"]!.GetValue<string>(), status["addresses"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("True", Condition(status["conditions"], "Accepted")!["status"]!.GetValue<string>());
        Assert.Equal(1, status["listeners"]![0]!["attachedRoutes"]!.GetValue<int>());

        var classStatus = Status("GatewayClass", null, "meshway")!;
        Assert.Equal("True", Condition(classStatus["conditions"], "Accepted")!["status"]!.GetValue<string>());
        Assert.Contains(classStatus["supportedFeatures"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "HTTPRoute");
        Assert.Null(Status("GatewayClass", null, "other")); // not ours: untouched

        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "web")?["parents"] is JsonArray { Count: 1 }, "route status");
        var parent = Status("HTTPRoute", "apps", "web")!["parents"]![0]!;
        Assert.Equal("meshway.dev/gateway-controller", parent["controllerName"]!.GetValue<string>());
        Assert.Equal("True", Condition(parent["conditions"], "Accepted")!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnchangedWorld_WritesNothing_EvenWhenUnrelatedEventsTriggerRounds()
    {
        ApplyWorld();
        var controller = Start();
        await Wait.UntilAsync(GatewayProgrammedWithAddress, "convergence");
        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "web")?["parents"] is JsonArray { Count: 1 }, "route status");
        await Task.Delay(300);
        var writes = NonLeaseWrites();
        var rounds = controller.Reconciles;

        // Events that change nothing we publish: an unrelated Service, an EndpointSlice.
        for (var i = 0; i < 5; i++)
        {
            _server.Apply($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"noise-{{{i}}}","namespace":"apps"},"spec":{"ports":[{"port":1}]}}""");
            await Task.Delay(60);
        }

        await Wait.UntilAsync(() => controller.Reconciles >= rounds + 2, "rounds triggered by the noise");
        await Task.Delay(200);
        // The noise came in directly (not through the API), so any write now would be the controller's own.
        Assert.Equal(writes, NonLeaseWrites());
        Assert.True(writes >= 6, "the first rounds did write (3 provisioned objects, class, Gateway and route status)");
    }

    [Fact]
    public async Task RouteStatus_KeepsOtherControllersEntries_AndDropsOursWhenTheParentRefGoes()
    {
        ApplyWorld();
        var foreign = new JsonObject
        {
            ["parentRef"] = new JsonObject { ["name"] = "theirs" },
            ["controllerName"] = "example.com/other",
            ["conditions"] = new JsonArray { new JsonObject { ["type"] = "Accepted", ["status"] = "True", ["reason"] = "Accepted", ["lastTransitionTime"] = "2020-01-01T00:00:00Z" } },
        };
        var route = _server.Get(Gw, "HTTPRoute", "apps", "web")!;
        route["status"] = new JsonObject { ["parents"] = new JsonArray { foreign.DeepClone() } };
        await _client.ReplaceStatusAsync(ResourceKind.HttpRoutes, "apps", "web", route, CancellationToken.None);
        Start();

        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "web")?["parents"] is JsonArray { Count: 2 }, "our entry next to theirs");
        Assert.True(JsonNode.DeepEquals(foreign, Status("HTTPRoute", "apps", "web")!["parents"]![0]));

        // The route moves to the other controller's Gateway only: our entry must go, theirs stays.
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"HTTPRoute","metadata":{"name":"web","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"theirs"}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}}
            """);
        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "web")?["parents"] is JsonArray { Count: 1 }, "our entry removed");
        Assert.True(JsonNode.DeepEquals(foreign, Status("HTTPRoute", "apps", "web")!["parents"]![0]));
    }

    [Fact]
    public async Task LastTransitionTime_ChangesOnlyForConditionsWhoseStatusFlipped()
    {
        ApplyWorld();
        Start();
        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "web")?["parents"] is JsonArray { Count: 1 }, "route status");
        var first = _now;
        _now = _now.AddMinutes(10);

        // The backend disappears: ResolvedRefs flips to False, Accepted stays True.
        _server.Delete("v1", "Service", "apps", "web");
        await Wait.UntilAsync(() => Condition(Status("HTTPRoute", "apps", "web")?["parents"]?[0]?["conditions"], "ResolvedRefs")?["status"]?.GetValue<string>() == "False", "ResolvedRefs=False");

        var conditions = Status("HTTPRoute", "apps", "web")!["parents"]![0]!["conditions"];
        Assert.Equal("BackendNotFound", Condition(conditions, "ResolvedRefs")!["reason"]!.GetValue<string>());
        Assert.Equal(Meshway.Controller.Status.StatusMerge.Timestamp(_now), Condition(conditions, "ResolvedRefs")!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal(Meshway.Controller.Status.StatusMerge.Timestamp(first), Condition(conditions, "Accepted")!["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public async Task OnlyTheLeaderWrites_AndAFollowerTakesOverWhenTheLeaderStops()
    {
        ApplyWorld();
        var first = Start("first");
        await Wait.UntilAsync(() => first.IsLeader, "first leads");
        var second = Start("second");
        await Wait.UntilAsync(GatewayProgrammedWithAddress, "convergence");
        await second.Synced;
        await Task.Delay(300);

        Assert.False(second.IsLeader);
        Assert.Equal(0, second.StatusWrites + second.ProvisionWrites);
        Assert.Equal(0, second.Reconciles);

        // The leader goes away; the follower takes over and serves a new change.
        _controllers.Remove(first);
        await first.DisposeAsync();
        await Wait.UntilAsync(() => second.IsLeader, "second leads");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"HTTPRoute","metadata":{"name":"late","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}}
            """);
        await Wait.UntilAsync(() => Status("HTTPRoute", "apps", "late")?["parents"] is JsonArray { Count: 1 }, "status written by the new leader");
        Assert.True(second.StatusWrites > 0);
    }

    [Fact]
    public async Task LoadBalancerIngress_ReplacesTheClusterIpInGatewayAddresses()
    {
        ApplyWorld();
        Start();
        await Wait.UntilAsync(GatewayProgrammedWithAddress, "convergence");

        // A cloud load balancer gets assigned: the Service status says so.
        var service = _server.Get("v1", "Service", "infra", "edge-meshway")!;
        service["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray { new JsonObject { ["ip"] = "203.0.113.7" } } } };
        await _client.ReplaceStatusAsync(ResourceKind.Services, "infra", "edge-meshway", service, CancellationToken.None);

        await Wait.UntilAsync(() => Status("Gateway", "infra", "edge")?["addresses"]?[0]?["value"]?.GetValue<string>() == "203.0.113.7", "the load-balancer address");
        Assert.Single(Status("Gateway", "infra", "edge")!["addresses"]!.AsArray());
    }

    [Fact]
    public async Task ListenerPortChange_UpdatesTheProvisionedServiceInPlace()
    {
        ApplyWorld();
        Start();
        await Wait.UntilAsync(GatewayProgrammedWithAddress, "convergence");
        var ip = _server.Get("v1", "Service", "infra", "edge-meshway")!["spec"]!["clusterIP"]!.GetValue<string>();

        var gateway = _server.Get(Gw, "Gateway", "infra", "edge")!;
        gateway["spec"]!["listeners"]![0]!["port"] = 9090;
        _server.Apply(gateway);

        await Wait.UntilAsync(() => _server.Get("v1", "Service", "infra", "edge-meshway")!["spec"]!["ports"]![0]!["port"]!.GetValue<int>() == 9090, "Service port updated");
        Assert.Equal(ip, _server.Get("v1", "Service", "infra", "edge-meshway")!["spec"]!["clusterIP"]!.GetValue<string>());
        await Wait.UntilAsync(() => _server.Get("apps/v1", "Deployment", "infra", "edge-meshway")!["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!.GetValue<int>() == 9090, "Deployment port updated");
    }
}
