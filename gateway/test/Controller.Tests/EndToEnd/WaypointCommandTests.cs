using System.Globalization;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;

namespace Meshway.Controller.Tests.EndToEnd;

/// <summary>`meshway waypoint apply|list|status|delete --kubeconfig F` (the real binary) against the in-test API server.</summary>
public sealed class WaypointCommandTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private readonly string _dir = Directory.CreateTempSubdirectory("meshway-k8s-waypoint-cli-").FullName;
    private TestApiServer _server = null!;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _kubeconfig = _server.WriteKubeconfig(_dir);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        await using var process = await MeshwayProcess.StartAsync(["waypoint", .. args, "--kubeconfig", _kubeconfig]);
        var code = await process.ExitCodeAsync(TimeSpan.FromSeconds(60));
        return (code, process.Output);
    }

    [Fact]
    public async Task ApplyListStatusDelete_ActOnTheApiServer_AndStatusComesFromTheController()
    {
        _server.Apply("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"apps","labels":{"team":"a"}}}""");

        var (code, output) = await RunAsync("apply", "-n", "apps", "--name", "wp", "--for", "all", "--enroll-namespace");
        Assert.True(code == 0, output);
        var gateway = _server.Get(Gw, "Gateway", "apps", "wp")!;
        Assert.Equal("meshway-waypoint", gateway["spec"]!["gatewayClassName"]!.GetValue<string>());
        Assert.Equal("HBONE", gateway["spec"]!["listeners"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal(15008, gateway["spec"]!["listeners"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("all", gateway["metadata"]!["labels"]!["istio.io/waypoint-for"]!.GetValue<string>());
        Assert.Equal("meshway.dev/waypoint-controller", _server.Get(Gw, "GatewayClass", null, "meshway-waypoint")!["spec"]!["controllerName"]!.GetValue<string>());
        var ns = _server.Get("v1", "Namespace", null, "apps")!;
        Assert.Equal("wp", ns["metadata"]!["labels"]!["istio.io/use-waypoint"]!.GetValue<string>());
        Assert.Equal("a", ns["metadata"]!["labels"]!["team"]!.GetValue<string>()); // other labels kept

        // Another waypoint may not take the namespace without --overwrite.
        (code, output) = await RunAsync("apply", "-n", "apps", "--name", "other", "--enroll-namespace");
        Assert.Equal(1, code);
        Assert.Contains("already uses waypoint wp", output, StringComparison.Ordinal);

        // Before any controller: status says so.
        (code, output) = await RunAsync("status", "-n", "apps", "--name", "wp");
        Assert.True(code == 0, output);
        Assert.Contains("no status yet", output, StringComparison.Ordinal);

        // With the controller: Programmed, and the address of the provisioned Service.
        var admin = MeshwayProcess.FreePort();
        await using (var controller = await MeshwayProcess.StartAsync("controller", "--kubeconfig", _kubeconfig, "--admin-port", admin.ToString(CultureInfo.InvariantCulture)))
        {
            await Wait.UntilAsync(() => (_server.Get(Gw, "Gateway", "apps", "wp")?["status"]?["addresses"] as JsonArray)?.Count == 1,
                "waypoint address\n" + controller.Output, 60_000);
        }

        var clusterIp = _server.Get("v1", "Service", "apps", "wp-meshway-waypoint")!["spec"]!["clusterIP"]!.GetValue<string>();
        (code, output) = await RunAsync("status", "-n", "apps", "--name", "wp");
        Assert.True(code == 0, output);
        Assert.Contains("Programmed   True", output, StringComparison.Ordinal);
        Assert.Contains("addresses: " + clusterIp, output, StringComparison.Ordinal);

        (code, output) = await RunAsync("list", "-A");
        Assert.True(code == 0, output);
        Assert.Matches(@"apps\s+wp\s+all\s+True", output);

        // delete refuses a Gateway that is not a waypoint, removes the waypoint.
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"apps"},"spec":{"gatewayClassName":"meshway","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}""");
        (code, output) = await RunAsync("delete", "-n", "apps", "edge");
        Assert.Equal(1, code);
        Assert.NotNull(_server.Get(Gw, "Gateway", "apps", "edge"));
        (code, output) = await RunAsync("delete", "-n", "apps", "wp");
        Assert.True(code == 0, output);
        Assert.Null(_server.Get(Gw, "Gateway", "apps", "wp"));
        (code, output) = await RunAsync("list", "-n", "apps");
        Assert.Contains("No waypoints found in namespace apps.", output, StringComparison.Ordinal);

        // status of a missing waypoint fails clearly.
        (code, output) = await RunAsync("status", "-n", "apps", "--name", "wp");
        Assert.Equal(1, code);
        Assert.Contains("no waypoint apps/wp", output, StringComparison.Ordinal);
    }
}
