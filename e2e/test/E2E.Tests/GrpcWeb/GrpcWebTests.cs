using System.Diagnostics;
using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.GrpcWeb;

/// <summary>
/// gRPC-Web through the real binary: a hand-written HTTP/1.1 gRPC-Web client (e2e/peers/grpc-web-client.js)
/// calls a GRPCRoute whose backend is the @grpc/grpc-js server; the gateway calls the backend with gRPC over
/// h2c and answers in gRPC-Web: the reply message, then the backend's trailers as the 0x80 frame.
/// </summary>
public sealed class GrpcWebTests(GrpcWebTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<GrpcWebTests.Fixture>(fixture, output)
{
    [Fact]
    public async Task A_grpc_web_unary_call_over_http11_gets_the_reply_and_the_trailers_in_the_body()
    {
        var result = await CallAsync("/echo.Echo/Unary", "from-the-web");

        Assert.Equal(200, (int)result["status"]!);
        Assert.Equal("1.1", (string?)result["httpVersion"]);
        Assert.StartsWith("application/grpc-web", (string?)result["contentType"], StringComparison.Ordinal);
        var message = result["messages"]!.AsArray().Single()!;
        Assert.Equal("from-the-web", (string?)message["text"]);
        Assert.Equal("grpc-web-backend", (string?)message["backend"]);
        Assert.Equal([0, 128], result["frames"]!.AsArray().Select(f => (int)f!));
        Assert.Equal("0", (string?)result["trailers"]!["grpc-status"]);
        Assert.Equal("grpc-web-backend", (string?)result["trailers"]!["x-trailer"]); // the backend's own trailer
        Assert.Equal(0, (int)result["leftover"]!);
    }

    [Fact]
    public async Task A_method_no_rule_matches_answers_a_plain_http_error_not_a_grpc_frame()
    {
        var result = await CallAsync("/echo.Echo/Unrouted", "x");

        // No rule: the gateway answers itself; gRPC-Web clients map the HTTP status (404 -> UNIMPLEMENTED).
        Assert.Equal(404, (int)result["status"]!);
        Assert.Empty(result["messages"]!.AsArray());
    }

    private async Task<JsonNode> CallAsync(string path, string text)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "grpc-web-client.js"),
            "--address", S.GatewayAddress, "--port", Shared.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--authority", "grpc.example", "--path", path, "--text", text,
        })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("grpc-web-client.js did not finish within 20 s");
        }

        var textOut = await stdout;
        Assert.True(process.ExitCode == 0, $"grpc-web-client.js exit {process.ExitCode}: {textOut}\n{await stderr}");
        return JsonNode.Parse(textOut.Trim().Split('\n')[^1])!;
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "grpcweb";

        protected override async Task ConfigureAsync(Scenario s)
        {
            await NodePackages.EnsureInstalledAsync();
            var backend = s.Own(await GrpcServer.StartAsync("grpc-web-backend", "default", [s.NextAddress()]));
            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("h2c", Port)),
                backend.ServiceYaml("echo"),
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata:
                  name: echo
                  namespace: default
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["grpc.example"]
                  rules:
                  - matches: [{method: {service: echo.Echo, method: Unary}}]
                    backendRefs: [{name: echo, port: 50051}]
                """));
        }
    }
}
