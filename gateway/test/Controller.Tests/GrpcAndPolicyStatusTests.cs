using System.Text.Json.Nodes;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Controller.Tests;

/// <summary>
/// Kubernetes mode writes the status of GRPCRoutes (status.parents), BackendTLSPolicies (status.ancestors) and
/// ListenerSets as standalone mode reports them, keeping other controllers' entries and following edits.
/// </summary>
public sealed class GrpcAndPolicyStatusTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;
    private GatewayController? _controller;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _client.Dispose();
        await _server.DisposeAsync();
    }

    private void Start()
    {
        _controller = new GatewayController(_client, new ControllerOptions
        {
            Identity = "c1",
            LeaseNamespace = "meshway-system",
            Debounce = TimeSpan.FromMilliseconds(20),
            LeaderElection = new LeaderElectionOptions
            {
                LeaseDuration = TimeSpan.FromSeconds(4),
                RenewDeadline = TimeSpan.FromSeconds(3),
                RetryPeriod = TimeSpan.FromMilliseconds(100),
            },
        }, NullLoggerFactory.Instance);
        _controller.Start(CancellationToken.None);
    }

    private void ApplyWorld()
    {
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"meshway"},"spec":{"controllerName":"meshway.dev/gateway-controller"}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"infra","annotations":{"meshway.dev/service-type":"ClusterIP"}},
             "spec":{"gatewayClassName":"meshway","listeners":[{"name":"http","port":8080,"protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"All"} } }]}}
            """);
        _server.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"apps"},"spec":{"ports":[{"name":"grpc","port":50051}]}}""");
        _server.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"secure","namespace":"apps"},"spec":{"ports":[{"name":"https","port":443}]}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"GRPCRoute","metadata":{"name":"echo","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"hostnames":["grpc.example.com"],
                     "rules":[{"matches":[{"method":{"service":"echo.Echo"}}],"backendRefs":[{"name":"echo","port":50051}]}]} }
            """);
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"HTTPRoute","metadata":{"name":"secure","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"hostnames":["secure.example.com"],
                     "rules":[{"backendRefs":[{"name":"secure","port":443}]}]} }
            """);
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"BackendTLSPolicy","metadata":{"name":"secure","namespace":"apps"},
             "spec":{"targetRefs":[{"group":"","kind":"Service","name":"secure"}],
                     "validation":{"hostname":"secure.internal","caCertificateRefs":[{"group":"","kind":"ConfigMap","name":"no-such-ca"}]} } }
            """);
    }

    private JsonObject? Status(string kind, string ns, string name) => _server.Get(Gw, kind, ns, name)?["status"] as JsonObject;

    private static JsonObject? Condition(JsonNode? conditions, string type) =>
        (conditions as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    [Fact]
    public async Task GrpcRoute_GetsOurParentEntry_NextToAnotherControllers()
    {
        ApplyWorld();
        var foreign = new JsonObject
        {
            ["parentRef"] = new JsonObject { ["name"] = "theirs" },
            ["controllerName"] = "example.com/other",
            ["conditions"] = new JsonArray { new JsonObject { ["type"] = "Accepted", ["status"] = "True", ["reason"] = "Accepted", ["lastTransitionTime"] = "2020-01-01T00:00:00Z" } },
        };
        var route = _server.Get(Gw, "GRPCRoute", "apps", "echo")!;
        route["status"] = new JsonObject { ["parents"] = new JsonArray { foreign.DeepClone() } };
        await _client.ReplaceStatusAsync(ResourceKind.GrpcRoutes, "apps", "echo", route, CancellationToken.None);
        Start();

        await Wait.UntilAsync(() => Status("GRPCRoute", "apps", "echo")?["parents"] is JsonArray { Count: 2 }, "GRPCRoute status with our entry");
        var parents = Status("GRPCRoute", "apps", "echo")!["parents"]!.AsArray();
        Assert.True(JsonNode.DeepEquals(foreign, parents[0]));
        var ours = parents[1]!;
        Assert.Equal("meshway.dev/gateway-controller", ours["controllerName"]!.GetValue<string>());
        Assert.Equal("edge", ours["parentRef"]!["name"]!.GetValue<string>());
        Assert.Equal("True", Condition(ours["conditions"], "Accepted")!["status"]!.GetValue<string>());
        Assert.NotNull(Condition(ours["conditions"], "Accepted")!["lastTransitionTime"]);
    }

    [Fact]
    public async Task BackendTlsPolicy_GetsAncestorStatus_AndFollowsTheFix()
    {
        ApplyWorld();
        Start();

        await Wait.UntilAsync(() => Status("BackendTLSPolicy", "apps", "secure")?["ancestors"] is JsonArray { Count: 1 }, "policy ancestors");
        var ancestor = Status("BackendTLSPolicy", "apps", "secure")!["ancestors"]![0]!;
        Assert.Equal("edge", ancestor["ancestorRef"]!["name"]!.GetValue<string>());
        Assert.Equal("meshway.dev/gateway-controller", ancestor["controllerName"]!.GetValue<string>());
        Assert.Equal("NoValidCACertificate", Condition(ancestor["conditions"], "Accepted")!["reason"]!.GetValue<string>());
        Assert.Equal("InvalidCACertificateRef", Condition(ancestor["conditions"], "ResolvedRefs")!["reason"]!.GetValue<string>());

        // The missing CA appears (ConfigMaps are watched): the policy becomes Accepted.
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var configMap = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "no-such-ca", ["namespace"] = "apps" },
            ["data"] = new JsonObject { ["ca.crt"] = ca.ExportCertificatePem() },
        };
        _server.Apply(configMap.ToJsonString());
        await Wait.UntilAsync(
            () => Condition(Status("BackendTLSPolicy", "apps", "secure")?["ancestors"]?[0]?["conditions"], "Accepted")?["status"]?.GetValue<string>() == "True",
            "policy accepted once its CA exists");
    }

    [Fact]
    public async Task ListenerSet_GetsItsStatus_AndTheGatewayCountsIt()
    {
        ApplyWorld();
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"ListenerSet","metadata":{"name":"team","namespace":"infra"},
             "spec":{"parentRef":{"name":"edge"},"listeners":[{"name":"extra","port":8081,"protocol":"HTTP"}]} }
            """);
        Start();

        // The Gateway does not allow ListenerSets yet: NotAllowed.
        await Wait.UntilAsync(
            () => Condition(Status("ListenerSet", "infra", "team")?["conditions"], "Accepted")?["reason"]?.GetValue<string>() == "NotAllowed",
            "ListenerSet NotAllowed");
        Assert.Equal(0, Status("Gateway", "infra", "edge")!["attachedListenerSets"]?.GetValue<int>() ?? 0);

        // The Gateway opens up to its namespace: the set is accepted, lists its listener, and is counted.
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"infra","annotations":{"meshway.dev/service-type":"ClusterIP"}},
             "spec":{"gatewayClassName":"meshway","allowedListeners":{"namespaces":{"from":"Same"} },
                     "listeners":[{"name":"http","port":8080,"protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"All"} } }]} }
            """);
        await Wait.UntilAsync(
            () => Condition(Status("ListenerSet", "infra", "team")?["conditions"], "Accepted")?["status"]?.GetValue<string>() == "True",
            "ListenerSet accepted");
        var listener = Status("ListenerSet", "infra", "team")!["listeners"]![0]!;
        Assert.Equal(8081, listener["port"]!.GetValue<int>());
        await Wait.UntilAsync(() => Status("Gateway", "infra", "edge")?["attachedListenerSets"]?.GetValue<int>() == 1, "Gateway attachedListenerSets");

        // The provisioned proxy Service exposes the set's port next to the Gateway's.
        await Wait.UntilAsync(
            () => (_server.Get("v1", "Service", "infra", "edge-meshway")?["spec"]?["ports"] as JsonArray)?
                .Select(p => p!["port"]!.GetValue<int>()).SequenceEqual([8080, 8081]) == true,
            "Service ports 8080 and 8081");
    }
}
