using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Meshway.MeshIntegration.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.Binary;

/// <summary>
/// The real executable (built by the repository launcher) in the waypoint role: `meshway run --config DIR
/// --mesh-cert-dir CERTS` with a waypoint Gateway, a GAMMA route and an ambient pod in DIR; a source
/// stand-in sends HBONE to it and the destination stand-in answers through HBONE.
/// </summary>
public sealed class MeshwayRunWaypointTests : IAsyncLifetime
{
    private readonly MeshPki _pki = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meshway-wp-" + Guid.NewGuid().ToString("N")[..10]);
    private Process? _meshway;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "config"));
        Directory.CreateDirectory(Path.Combine(_dir, "certs"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_meshway is { HasExited: false })
        {
            _meshway.Kill();
            await _meshway.WaitForExitAsync();
        }

        _meshway?.Dispose();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _pki.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task MeshwayRun_WaypointGatewayInConfigDir_ServesHboneWithGammaRoute()
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
        await File.WriteAllTextAsync(Path.Combine(_dir, "config", "mesh.yaml"), Manifests(waypointIp, vip, podIp));
        var adminPort = FreePort();

        _meshway = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                Path.Combine(RepoRoot(), "meshway"), "run", "--config", Path.Combine(_dir, "config"),
                "--admin-port", adminPort.ToString(), "--mesh-cert-dir", Path.Combine(_dir, "certs"),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _meshway.OutputDataReceived += (_, _) => { };
        _meshway.ErrorDataReceived += (_, _) => { };
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

        // The launcher may build first; the HBONE listener opens right after the first config is applied.
        JsonElement result = default;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(6))
        {
            Assert.False(_meshway.HasExited, "meshway exited with " + (_meshway.HasExited ? _meshway.ExitCode : 0));
            using var response = await http.PostAsJsonAsync($"http://127.0.0.1:{client.Port}/send", request);
            result = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (result.GetProperty("ok").GetBoolean())
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        var echo = JsonDocument.Parse(result.GetProperty("body").GetString()!).RootElement;
        Assert.Equal("reviews-v1", echo.GetProperty("pod").GetString());
        Assert.Equal(waypoint.Identity.ToString(), echo.GetProperty("peer").GetString());
        Assert.Equal("waypoint", echo.GetProperty("headers").GetProperty("x-mesh").GetString());

        // Route status on the Service parent, as the admin endpoint shows it.
        var status = await http.GetStringAsync($"http://127.0.0.1:{adminPort}/status");
        using var doc = JsonDocument.Parse(status);
        var route = doc.RootElement.GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("kind").GetString() == "HTTPRoute");
        var parent = route.GetProperty("status").GetProperty("parents")[0];
        Assert.Equal("Service", parent.GetProperty("parentRef").GetProperty("kind").GetString());
        Assert.Contains(parent.GetProperty("conditions").EnumerateArray(),
            c => c.GetProperty("type").GetString() == "Accepted" && c.GetProperty("status").GetString() == "True");

        // The mesh certificate manager's state: in /status and as metrics.
        var mesh = doc.RootElement.GetProperty("meshIdentity");
        Assert.Equal("Available", mesh.GetProperty("state").GetString());
        Assert.Equal(waypoint.Identity.ToString(), mesh.GetProperty("identity").GetString());
        var notAfter = DateTimeOffset.Parse(mesh.GetProperty("notAfter").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(waypoint.Manager.Current!.NotAfter.ToUnixTimeSeconds(), notAfter.ToUnixTimeSeconds());
        Assert.NotEqual(JsonValueKind.Null, mesh.GetProperty("lastRenewal").ValueKind);
        Assert.Equal(0, mesh.GetProperty("failures").GetInt32());
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{adminPort}/metrics");
        Assert.Contains($"meshway_mesh_certificate_ready{{identity=\"{waypoint.Identity}\"}} 1\n", metrics);
        Assert.Contains($"meshway_mesh_certificate_expiry_timestamp_seconds{{identity=\"{waypoint.Identity}\"}} {notAfter.ToUnixTimeSeconds()}\n", metrics);

        // Tunnelled requests go through the shared pipeline, so they are counted on the same /metrics.
        Assert.Contains("gateway=\"mesh/waypoint\"", metrics);
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

    private static string Manifests(string waypointIp, string vip, string podIp) => $$$$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway-waypoint}
        spec: {controllerName: meshway.dev/waypoint-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: waypoint, namespace: mesh}
        spec:
          gatewayClassName: meshway-waypoint
          addresses: [{type: IPAddress, value: "{{{{waypointIp}}}}"}]
          listeners:
          - {name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {namespaces: {from: All}}}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: shop
          labels: {istio.io/use-waypoint: waypoint, istio.io/use-waypoint-namespace: mesh}
        spec:
          clusterIP: {{{{vip}}}}
          ports: [{name: http, port: 9080, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-1, namespace: shop, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["{{{{podIp}}}}"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: shop, annotations: {ambient.istio.io/redirection: enabled}}
        spec: {serviceAccountName: reviews}
        status: {podIP: "{{{{podIp}}}}"}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
          rules:
          - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-mesh, value: waypoint}]}}]
            backendRefs: [{name: reviews, port: 9080}]
        """;
}
