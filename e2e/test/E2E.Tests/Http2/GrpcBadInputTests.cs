using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Http2;

/// <summary>
/// Issue 7's bad input for gRPC: a request with a non-gRPC content-type for a GRPCRoute host and method.
/// Decision (README "gRPC callers"): a GRPCRoute matches on host, service/method (the path) and headers
/// only, as the spec defines its matches; the gateway does not second-guess the content-type. Such a request
/// is forwarded like any other, and the gRPC server refuses it as the gRPC-over-HTTP/2 protocol says
/// (HTTP 415 Unsupported Media Type); the gateway neither rewrites that answer into a gRPC status (it is the
/// backend's own answer, and the caller is no gRPC client) nor drops the connection, and the listener keeps
/// serving gRPC calls. The real gRPC server here is @grpc/grpc-js.
/// </summary>
public sealed class GrpcBadInputTests(GrpcBadInputTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<GrpcBadInputTests.Fixture>(fixture, output)
{
    [Theory]
    [InlineData("text/plain", 2)]
    [InlineData("text/plain", 1)]
    [InlineData("application/json", 2)]
    public async Task Non_gRPC_content_type_to_a_GRPCRoute_gets_415_from_the_gRPC_server_and_gRPC_keeps_working(string contentType, int httpVersion)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{S.GatewayAddress}:{Shared.Port}/echo.Echo/Unary")
        {
            Version = new Version(httpVersion, httpVersion == 2 ? 0 : 1),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("not a gRPC message", System.Text.Encoding.UTF8, contentType),
        };
        request.Headers.Host = "grpc.example";

        using var response = await client.SendAsync(request);
        var after = await GrpcResult.CallAsync($"{S.GatewayAddress}:{Shared.Port}", "grpc.example", "Unary", text: "after");

        Assert.Equal(415, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.True(after.Ok, after.ToString());
        Assert.Equal("grpc-bad", (string?)Assert.Single(after.Replies)["backend"]);
    }

    [Fact]
    public async Task h2load_over_h2c_completes_every_request()
    {
        // The issue's h2c load check: 200 requests, 4 connections, 10 concurrent streams each, prior knowledge,
        // against the listener on port 8080 (GatewayPort8080: the gateway's own address, so no clash).
        var result = await NodePeer.RunAsync("h2load",
        [
            "-n", "200", "-c", "4", "-m", "10",
            "-H", ":authority: web.example",
            $"http://{S.GatewayAddress}:8080/load",
        ], timeoutSeconds: 60);

        Assert.True(result.ExitCode == 0, result.ToString());
        // "requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored, 0 timeout"
        Assert.True(result.Stdout.Contains("requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored", StringComparison.Ordinal), result.ToString());
        Assert.True(result.Stdout.Contains("status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx", StringComparison.Ordinal), result.ToString());
        Assert.True(result.Stdout.Contains("Application protocol: h2c", StringComparison.Ordinal), result.ToString());
        var seen = await Shared.Web.RequestsAsync();
        Assert.True(seen.Count(r => r.Path == "/load") >= 200, $"backend saw {seen.Count(r => r.Path == "/load")} of 200");
    }

    [Fact]
    public async Task A_listener_on_port_8080_serves_HTTP_1_1_too()
    {
        var reply = await Client.SendAsync("web.example", 8080, "/port-8080");

        Assert.Equal(200, reply.Status);
        Assert.Equal("web-h2c", reply.Echoed.Backend);
        Assert.Equal("/port-8080", reply.Echoed.Path);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public EchoBackend Web { get; private set; } = null!;

        protected override string Name => "grpc-bad-input";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var grpc = s.Own(await GrpcServer.StartAsync("grpc-bad", "default", [s.NextAddress()]));
            Web = await s.StartEchoAsync("web-h2c");
            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("h2c", Port), Listener("port8080", 8080)),
                grpc.ServiceYaml(),
                Web.ServiceYaml(appProtocol: "kubernetes.io/h2c"),
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
                  - matches:
                    - method: {service: echo.Echo}
                    backendRefs: [{name: grpc-bad, port: 50051}]
                """,
                Route("web", "- backendRefs:\n" + Indent(Backend("web-h2c"), 2), hostnames: ["web.example"])));
        }
    }
}
