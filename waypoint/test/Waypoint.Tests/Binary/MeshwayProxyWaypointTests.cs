using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.MeshIntegration.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.Binary;

/// <summary>
/// The real executable in the waypoint role in Kubernetes mode: `meshway proxy --gateway mesh/waypoint
/// --kubeconfig K --mesh-cert-dir CERTS` against the in-test API server holding a waypoint Gateway, a Service
/// labelled istio.io/use-waypoint, its EndpointSlice to an ambient pod and a GAMMA HTTPRoute. A source stand-in
/// sends HBONE to the proxy; the destination stand-in answers through HBONE, so it only sees the waypoint's
/// identity if the proxy learned from the watched Pod that the endpoint is ambient.
/// </summary>
public sealed class MeshwayProxyWaypointTests : IAsyncLifetime
{
    private readonly MeshPki _pki = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meshway-wpp-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly StringBuilder _output = new();
    private TestApiServer _api = null!;
    private Process? _meshway;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "certs"));
        _api = await TestApiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_meshway is { HasExited: false })
        {
            _meshway.Kill(entireProcessTree: true);
            await _meshway.WaitForExitAsync();
        }

        _meshway?.Dispose();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _api.DisposeAsync();
        await _pki.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task MeshwayProxy_WaypointGatewayFromApiServer_ServesHboneWithGammaRoute_AndFollowsRouteChanges()
    {
        var waypoint = await _pki.IssueAsync("spiffe://cluster.local/ns/mesh/sa/waypoint");
        var source = await _pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/productpage");
        var pod = await _pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/reviews");
        await File.WriteAllTextAsync(Path.Combine(_dir, "certs", "cert-chain.pem"), waypoint.Manager.Current!.ChainPem);
        await File.WriteAllTextAsync(Path.Combine(_dir, "certs", "key.pem"), waypoint.Manager.Current!.KeyPem);
        File.Copy(_pki.RootPath, Path.Combine(_dir, "certs", "root-cert.pem"));
        var (dest, podIp) = await StandinProcess.StartDestinationAsync(_pki, "reviews-v1", pod);
        _owned.Add(dest);
        var client = await StandinProcess.StartAsync(["source", "--cert", source.CertPath, "--key", source.KeyPath, "--ca", _pki.RootPath]);
        _owned.Add(client);
        var waypointIp = LoopbackAddresses.NextPod();
        var vip = LoopbackAddresses.NextVip();
        foreach (var obj in Objects(vip, podIp))
        {
            _api.Apply(obj);
        }

        _api.Apply(Route("v1"));
        var kubeconfig = _api.WriteKubeconfig(_dir);
        var adminPort = FreePort();

        // In a cluster the pod listens on all its addresses; here --bind puts the waypoint on its own loopback address.
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                Path.Combine(RepoRoot(), "meshway"), "proxy", "--gateway", "mesh/waypoint", "--kubeconfig", kubeconfig,
                "--admin-port", adminPort.ToString(), "--bind", waypointIp, "--mesh-cert-dir", Path.Combine(_dir, "certs"),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // A developer's cluster settings must not leak into the test.
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        _meshway = Process.Start(start)!;
        _meshway.OutputDataReceived += (_, e) => Append(e.Data);
        _meshway.ErrorDataReceived += (_, e) => Append(e.Data);
        _meshway.BeginOutputReadLine();
        _meshway.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var request = new
        {
            hbone = waypointIp + ":15008",
            expectSan = waypoint.Identity.ToString(),
            authority = vip + ":9080",
            method = "GET",
            path = "/reviews/1",
        };

        // The launcher may build first; the HBONE listener opens once the watched world is applied.
        var echo = await SendUntilAsync(http, client.Port, request, _ => true, TimeSpan.FromMinutes(6));
        Assert.Equal("reviews-v1", echo.GetProperty("pod").GetString());
        Assert.Equal(waypoint.Identity.ToString(), echo.GetProperty("peer").GetString()); // HBONE out: the Pod was watched
        Assert.Equal("v1", echo.GetProperty("headers").GetProperty("x-mesh").GetString()); // the GAMMA route applied
        Assert.Contains(_api.Requests, r => r.Contains("/api/v1/pods", StringComparison.Ordinal));

        // A route change in the API server reaches the running waypoint through the watch.
        _api.Apply(Route("v2"));
        echo = await SendUntilAsync(http, client.Port, request, e => e.GetProperty("headers").TryGetProperty("x-mesh", out var h) && h.GetString() == "v2", TimeSpan.FromSeconds(30));
        Assert.Equal("v2", echo.GetProperty("headers").GetProperty("x-mesh").GetString());

        // The waypoint's status and identity on the proxy's admin endpoint, as `meshway run` shows them.
        var status = await http.GetStringAsync($"http://127.0.0.1:{adminPort}/status");
        using var doc = JsonDocument.Parse(status);
        var route = doc.RootElement.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("kind").GetString() == "HTTPRoute");
        var parent = route.GetProperty("status").GetProperty("parents")[0];
        Assert.Equal("Service", parent.GetProperty("parentRef").GetProperty("kind").GetString());
        Assert.Contains(parent.GetProperty("conditions").EnumerateArray(),
            c => c.GetProperty("type").GetString() == "Accepted" && c.GetProperty("status").GetString() == "True");
        Assert.Equal(waypoint.Identity.ToString(), doc.RootElement.GetProperty("meshIdentity").GetProperty("identity").GetString());
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{adminPort}/metrics");
        Assert.Contains("gateway=\"mesh/waypoint\"", metrics);
    }

    private async Task<JsonElement> SendUntilAsync(HttpClient http, int sourcePort, object request, Func<JsonElement, bool> accept, TimeSpan timeout)
    {
        JsonElement result = default;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            Assert.False(_meshway!.HasExited, "meshway exited:\n" + Output());
            using var response = await http.PostAsJsonAsync($"http://127.0.0.1:{sourcePort}/send", request);
            result = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (result.GetProperty("ok").GetBoolean() && result.GetProperty("status").GetInt32() == 200)
            {
                var echo = JsonDocument.Parse(result.GetProperty("body").GetString()!).RootElement;
                if (accept(echo))
                {
                    return echo;
                }
            }

            await Task.Delay(300);
        }

        Assert.Fail("no accepted answer through the waypoint; last: " + result + "\nmeshway output:\n" + Output());
        return default;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "meshway")) && File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root (with ./meshway) not found");
    }

    private static string Route(string tag) => $$$"""
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "reviews", "namespace": "shop"},
         "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "reviews", "port": 9080}],
                  "rules": [{"filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-mesh", "value": "{{{tag}}}"}]}}],
                             "backendRefs": [{"name": "reviews", "port": 9080}]}]}}
        """;

    private static string[] Objects(string vip, string podIp) =>
    [
        """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mesh"}}""",
        """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}""",
        """
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "meshway-waypoint"},
         "spec": {"controllerName": "meshway.dev/waypoint-controller"}}
        """,
        """
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "waypoint", "namespace": "mesh"},
         "spec": {"gatewayClassName": "meshway-waypoint",
                  "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}
        """,
        $$$"""
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "reviews", "namespace": "shop", "labels": {"istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "mesh"}},
         "spec": {"clusterIP": "{{{vip}}}", "ports": [{"name": "http", "port": 9080, "targetPort": 8080}]}}
        """,
        $$$"""
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "reviews-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "reviews"}},
         "addressType": "IPv4", "ports": [{"name": "http", "port": 8080}], "endpoints": [{"addresses": ["{{{podIp}}}"]}]}
        """,
        $$$"""
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "reviews-v1", "namespace": "shop", "annotations": {"ambient.istio.io/redirection": "enabled"}},
         "spec": {"serviceAccountName": "reviews"}, "status": {"podIP": "{{{podIp}}}"}}
        """,
    ];
}
