using System.Text.Json.Nodes;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;

namespace Meshway.Controller.Tests.EndToEnd;

/// <summary>
/// Acceptance 1 of issue 4: `meshway controller --kubeconfig F` and `meshway proxy --gateway ns/name
/// --kubeconfig F` (the real binary) against the in-test API server, with real local backends.
/// </summary>
public sealed class KubernetesModeTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private readonly string _dir = Directory.CreateTempSubdirectory("meshway-k8s-e2e-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private TestApiServer _server = null!;
    private TextBackend _a = null!;
    private TextBackend _b = null!;
    private int _listenerPort;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _a = await TextBackend.StartAsync("backend-a");
        _b = await TextBackend.StartAsync("backend-b");
        _listenerPort = MeshwayProcess.FreePort();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private void ApplyBackend(string name, int port)
    {
        _server.Apply($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"apps"},"spec":{"ports":[{"name":"http","port":80,"targetPort":{{{port}}}}]}}""");
        _server.Apply($$$"""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"{{{name}}}-1","namespace":"apps","labels":{"kubernetes.io/service-name":"{{{name}}}"}},
             "addressType":"IPv4","ports":[{"name":"http","port":{{{port}}},"protocol":"TCP"}],"endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":true}}]}
            """);
    }

    private static JsonObject Route(string backend) => JsonNode.Parse($$$"""
        {"apiVersion":"{{{Gw}}}","kind":"HTTPRoute","metadata":{"name":"web","namespace":"apps"},
         "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"hostnames":["web.example.com"],
                 "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":[{"name":"{{{backend}}}","port":80}]}]}}
        """)!.AsObject();

    private async Task<string> GetAsync(string path)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_listenerPort}{path}");
            request.Headers.Host = "web.example.com";
            using var response = await _http.SendAsync(request);
            return (int)response.StatusCode + " " + await response.Content.ReadAsStringAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "error " + ex.Message;
        }
    }

    private async Task UntilServedAsync(string expected, string what, MeshwayProcess proxy)
    {
        var last = "";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync("/hello");
            if (last == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{what}: expected \"{expected}\", last answer \"{last}\"\nproxy output:\n{proxy.Output}");
    }

    private static JsonObject? Condition(JsonNode? conditions, string type) =>
        (conditions as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    [Fact]
    public async Task ControllerAndProxy_AgainstTheApiServer_ProvisionWriteStatusRouteTrafficAndFollowEdits()
    {
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"meshway"},"spec":{"controllerName":"meshway.dev/gateway-controller"}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"infra"},
             "spec":{"gatewayClassName":"meshway","listeners":[{"name":"http","port":{{{_listenerPort}}},"protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"All"} } }]}}
            """);
        // Another Gateway of ours: provisioned too, but not served by the proxy of infra/edge.
        var otherPort = MeshwayProcess.FreePort();
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"other","namespace":"infra"},
             "spec":{"gatewayClassName":"meshway","listeners":[{"name":"http","port":{{{otherPort}}},"protocol":"HTTP"}]}}
            """);
        ApplyBackend("web-a", _a.Port);
        ApplyBackend("web-b", _b.Port);
        _server.Apply(Route("web-a"));
        var kubeconfig = _server.WriteKubeconfig(_dir);

        var controllerAdmin = MeshwayProcess.FreePort();
        var proxyAdmin = MeshwayProcess.FreePort();
        await using var controller = await MeshwayProcess.StartAsync("controller", "--kubeconfig", kubeconfig, "--admin-port", controllerAdmin.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var proxy = await MeshwayProcess.StartAsync("proxy", "--gateway", "infra/edge", "--kubeconfig", kubeconfig,
            "--admin-port", proxyAdmin.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1");

        // 1. The controller provisions the proxy's objects and publishes status with the Service's address.
        await Wait.UntilAsync(() =>
            _server.Get(Gw, "Gateway", "infra", "edge")?["status"] is JsonObject s
            && Condition(s["conditions"], "Programmed")?["status"]?.GetValue<string>() == "True"
            && (s["addresses"] as JsonArray)?.Count == 1, "Gateway Programmed with an address\ncontroller output:\n" + controller.Output, 60_000);
        var gatewayStatus = _server.Get(Gw, "Gateway", "infra", "edge")!["status"]!;
        Assert.Equal("True", Condition(gatewayStatus["conditions"], "Accepted")!["status"]!.GetValue<string>());
        var service = _server.Get("v1", "Service", "infra", "edge-meshway")!;
        Assert.Equal(service["spec"]!["clusterIP"]!.GetValue<string>(), gatewayStatus["addresses"]![0]!["value"]!.GetValue<string>());
        Assert.NotNull(_server.Get("apps/v1", "Deployment", "infra", "edge-meshway"));
        Assert.NotNull(_server.Get("v1", "ServiceAccount", "infra", "edge-meshway"));
        await Wait.UntilAsync(() => Condition(_server.Get(Gw, "HTTPRoute", "apps", "web")?["status"]?["parents"]?[0]?["conditions"], "Accepted")?["status"]?.GetValue<string>() == "True",
            "HTTPRoute Accepted\ncontroller output:\n" + controller.Output, 60_000);

        // 2. The proxy serves the route to the real backend; both admin servers say ready.
        await UntilServedAsync("200 backend-a /hello", "initial routing", proxy);
        Assert.Equal("ready (leader)\n", await _http.GetStringAsync($"http://127.0.0.1:{controllerAdmin}/ready"));
        Assert.Contains("meshway_controller_leader 1", await _http.GetStringAsync($"http://127.0.0.1:{controllerAdmin}/metrics"), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _http.GetAsync($"http://127.0.0.1:{proxyAdmin}/ready")).StatusCode);

        // The proxy watches its own Gateway only, and serves nothing of the other one.
        Assert.Contains(_server.Requests, r => r.StartsWith("GET /apis/gateway.networking.k8s.io/v1/namespaces/infra/gateways?watch=1", StringComparison.Ordinal)
            && r.Contains("fieldSelector=metadata.name%3Dedge", StringComparison.Ordinal));
        // An ingress proxy is no waypoint: it never lists Pods (only a waypoint's proxy needs them).
        Assert.DoesNotContain(_server.Requests, r => r.Contains("/api/v1/pods", StringComparison.Ordinal));
        await Wait.UntilAsync(() => _server.Get("apps/v1", "Deployment", "infra", "other-meshway") is not null, "the other Gateway provisioned", 60_000);
        using (var probe = new System.Net.Sockets.TcpClient())
        {
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync("127.0.0.1", otherPort));
        }

        // 3. A route edited through the API takes effect.
        using var client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
        var route = (await client.GetAsync(ResourceKind.HttpRoutes, "apps", "web", CancellationToken.None))!;
        route["spec"] = Route("web-b")["spec"]!.DeepClone();
        await client.ReplaceAsync(ResourceKind.HttpRoutes, "apps", "web", route, CancellationToken.None);
        await UntilServedAsync("200 backend-b /hello", "after the edit", proxy);
        await Wait.UntilAsync(() => Condition(_server.Get(Gw, "HTTPRoute", "apps", "web")?["status"]?["parents"]?[0]?["conditions"], "Accepted")?["observedGeneration"]?.GetValue<long>() == 2,
            "route status observes generation 2", 60_000);

        // 4. Every watch is cut mid-stream, and the route changes while the proxy is disconnected: nothing is lost.
        _server.DropWatches();
        _server.Apply(Route("web-a"));
        await UntilServedAsync("200 backend-a /hello", "after a dropped watch", proxy);

        // 5. An unchanged world writes no status, however long it runs, and idling costs no requests but the
        //    leader's Lease renewals: watches only, no polling.
        await Task.Delay(1000);
        var writes = _server.StatusWrites();
        var requests = _server.Requests.Count;
        await Task.Delay(2000);
        Assert.Equal(writes, _server.StatusWrites());
        var idle = _server.Requests.Skip(requests).Where(r => !r.Contains("/leases/", StringComparison.Ordinal)).ToList();
        Assert.True(idle.Count == 0, "requests while idle: " + string.Join(", ", idle));

        // 6. The API server goes away: the proxy keeps serving the last good configuration.
        _server.Unavailable = true;
        _server.DropWatches();
        await Task.Delay(500);
        Assert.Equal("200 backend-a /hello", await GetAsync("/hello"));
        Assert.False(proxy.HasExited, proxy.Output);
        Assert.False(controller.HasExited, controller.Output);
    }
}
