using System.Globalization;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;

namespace Meshway.Controller.Tests.EndToEnd;

/// <summary>
/// Issue 6, Kubernetes mode: `meshway controller --kubeconfig F` (the real binary) provisions a waypoint Gateway
/// (class meshway-waypoint) the way ambient needs it, and publishes its status with the Service's address.
/// </summary>
public sealed class WaypointProvisioningTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private readonly string _dir = Directory.CreateTempSubdirectory("meshway-k8s-waypoint-").FullName;
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static JsonObject? Condition(JsonNode? conditions, string type) =>
        (conditions as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    [Fact]
    public async Task Controller_ProvisionsWaypoint_ClusterIpService_AmbientExcludedPods_WithCaTokenAndRoot_AndStatusAddress()
    {
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"meshway-waypoint"},"spec":{"controllerName":"meshway.dev/waypoint-controller"}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"waypoint","namespace":"apps","annotations":{"meshway.dev/ca-address":"ca.mesh.test:15012"}},
             "spec":{"gatewayClassName":"meshway-waypoint","listeners":[{"name":"mesh","port":15008,"protocol":"HBONE"}]}}
            """);
        // A waypoint with a listener it cannot serve: refused with the spec's reasons, no address published.
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"bad","namespace":"apps"},
             "spec":{"gatewayClassName":"meshway-waypoint","listeners":[{"name":"web","port":80,"protocol":"HTTP"}]}}
            """);
        var kubeconfig = _server.WriteKubeconfig(_dir);
        var admin = MeshwayProcess.FreePort();
        await using var controller = await MeshwayProcess.StartAsync("controller", "--kubeconfig", kubeconfig, "--admin-port", admin.ToString(CultureInfo.InvariantCulture));

        await Wait.UntilAsync(() =>
            _server.Get(Gw, "Gateway", "apps", "waypoint")?["status"] is JsonObject s
            && Condition(s["conditions"], "Programmed")?["status"]?.GetValue<string>() == "True"
            && (s["addresses"] as JsonArray)?.Count == 1, "waypoint Programmed with an address\ncontroller output:\n" + controller.Output, 60_000);

        // Status: Accepted, Programmed, address = the Service's cluster IP; the class is Accepted.
        var status = _server.Get(Gw, "Gateway", "apps", "waypoint")!["status"]!;
        Assert.Equal("True", Condition(status["conditions"], "Accepted")!["status"]!.GetValue<string>());
        Assert.Equal("True", Condition(status["listeners"]![0]!["conditions"], "Programmed")!["status"]!.GetValue<string>());
        var service = _server.Get("v1", "Service", "apps", "waypoint-meshway-waypoint")!;
        Assert.Equal(service["spec"]!["clusterIP"]!.GetValue<string>(), status["addresses"]![0]!["value"]!.GetValue<string>());
        await Wait.UntilAsync(() => Condition(_server.Get(Gw, "GatewayClass", null, "meshway-waypoint")?["status"]?["conditions"], "Accepted")?["status"]?.GetValue<string>() == "True",
            "waypoint class Accepted\n" + controller.Output, 60_000);

        // Service: ClusterIP, 15008 only, selects the Gateway's pods, owned by the Gateway.
        Assert.Equal("ClusterIP", service["spec"]!["type"]!.GetValue<string>());
        var ports = service["spec"]!["ports"]!.AsArray();
        Assert.Single(ports);
        Assert.Equal(15008, ports[0]!["port"]!.GetValue<int>());
        Assert.Equal("waypoint", service["spec"]!["selector"]!["gateway.networking.k8s.io/gateway-name"]!.GetValue<string>());
        var gatewayUid = _server.Get(Gw, "Gateway", "apps", "waypoint")!["metadata"]!["uid"]!.GetValue<string>();
        Assert.Equal(gatewayUid, service["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());

        // Deployment: pods labelled for the Gateway and out of ambient capture, token for the mesh CA, mesh root.
        var deployment = _server.Get("apps/v1", "Deployment", "apps", "waypoint-meshway-waypoint")!;
        var pod = deployment["spec"]!["template"]!;
        Assert.Equal("waypoint", pod["metadata"]!["labels"]!["gateway.networking.k8s.io/gateway-name"]!.GetValue<string>());
        Assert.Equal("none", pod["metadata"]!["labels"]!["istio.io/dataplane-mode"]!.GetValue<string>());
        Assert.Equal("waypoint-meshway-waypoint", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
        var volumes = pod["spec"]!["volumes"]!.AsArray().OfType<JsonObject>().ToList();
        var token = volumes.Single(v => v["projected"] is not null)["projected"]!["sources"]![0]!["serviceAccountToken"]!;
        Assert.Equal("istio-ca", token["audience"]!.GetValue<string>());
        Assert.Contains(volumes, v => v["configMap"]?["name"]?.GetValue<string>() == "istio-ca-root-cert");
        var args = pod["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["proxy", "--gateway", "apps/waypoint"], args.Take(3));
        Assert.Equal("ca.mesh.test:15012", args[args.IndexOf("--ca-address") + 1]);
        Assert.NotNull(_server.Get("v1", "ServiceAccount", "apps", "waypoint-meshway-waypoint"));

        // The waypoint that cannot serve: not Accepted (ListenersNotValid), listener UnsupportedProtocol, no address.
        await Wait.UntilAsync(() => Condition(_server.Get(Gw, "Gateway", "apps", "bad")?["status"]?["conditions"], "Accepted")?["reason"]?.GetValue<string>() == "ListenersNotValid",
            "bad waypoint refused\n" + controller.Output, 60_000);
        var bad = _server.Get(Gw, "Gateway", "apps", "bad")!["status"]!;
        Assert.Equal("UnsupportedProtocol", Condition(bad["listeners"]![0]!["conditions"], "Accepted")!["reason"]!.GetValue<string>());
        Assert.Equal("False", Condition(bad["conditions"], "Programmed")!["status"]!.GetValue<string>());

        // A default CA address when the Gateway names none: the pod template follows an annotation removal.
        var gateway = _server.Get(Gw, "Gateway", "apps", "waypoint")!;
        gateway["metadata"]!.AsObject().Remove("annotations");
        _server.Apply(gateway);
        await Wait.UntilAsync(() =>
            _server.Get("apps/v1", "Deployment", "apps", "waypoint-meshway-waypoint")?["spec"]?["template"]?["spec"]?["containers"]?[0]?["args"]?.AsArray()
                .Any(a => a!.GetValue<string>() == "istiod.istio-system.svc:15012") == true,
            "default CA address after the annotation is removed\n" + controller.Output, 60_000);
        Assert.False(controller.HasExited, controller.Output);
    }
}
