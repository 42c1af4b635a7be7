using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Protocols;

/// <summary>
/// GRPCRoute through the real binary with @grpc/grpc-js on both sides: the client speaks h2c with prior
/// knowledge to an HTTP listener, the gateway calls the gRPC servers with HTTP/2 (also behind a Service port
/// without appProtocol), trailers come back, method and header matches choose the rule, filters change
/// metadata both ways, weights split calls, and the gateway's own errors arrive as grpc-status.
/// </summary>
public sealed class GrpcRouteTests(GrpcRouteTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<GrpcRouteTests.Fixture>(fixture, output)
{
    private string Target => $"{S.GatewayAddress}:{Shared.Port}";

    [Fact]
    public async Task Unary_call_reaches_its_backend_with_metadata_filters_and_trailers()
    {
        var result = await GrpcResult.CallAsync(Target, "grpc.example", "Unary", text: "ping");

        Assert.True(result.Ok, result.ToString());
        var reply = Assert.Single(result.Replies);
        Assert.Equal("grpc-a", (string?)reply["backend"]);
        Assert.Equal("ping", (string?)reply["text"]);
        // RequestHeaderModifier set metadata the server saw; ResponseHeaderModifier added a response header.
        Assert.Equal("unary", (string?)reply["metadata"]!["x-route"]);
        Assert.Equal("meshway", (string?)result.Headers["x-served-by"]);
        Assert.Equal("grpc-a", (string?)result.Headers["x-backend"]);
        // The server's trailers (grpc-status and its own) made it through the gateway.
        Assert.Equal("grpc-a", (string?)result.Trailers["x-trailer"]);
    }

    [Fact]
    public async Task Unary_and_streaming_calls_work_over_an_HTTPS_listener_with_ALPN_h2()
    {
        var target = $"{S.GatewayAddress}:{Shared.TlsPort}";

        var unary = await GrpcResult.CallAsync(target, "grpc.example", "Unary", text: "secure", caFile: Shared.CaFile);
        var stream = await GrpcResult.CallAsync(target, "grpc.example", "Stream", count: 3, caFile: Shared.CaFile);

        Assert.True(unary.Ok, unary.ToString());
        Assert.Equal("grpc-a", (string?)Assert.Single(unary.Replies)["backend"]);
        Assert.Equal("meshway", (string?)unary.Headers["x-served-by"]);
        Assert.True(stream.Ok, stream.ToString());
        Assert.Equal(3, stream.Replies.Count);
    }

    [Fact]
    public async Task Server_streaming_call_delivers_every_message_in_order()
    {
        var result = await GrpcResult.CallAsync(Target, "grpc.example", "Stream", text: "s", count: 25);

        Assert.True(result.Ok, result.ToString());
        Assert.Equal(25, result.Replies.Count);
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(i, result.Replies[i]["index"]!.GetValue<int>());
            Assert.Equal("grpc-b", (string?)result.Replies[i]["backend"]);
        }

        Assert.Equal("grpc-b", (string?)result.Trailers["x-trailer"]);
    }

    [Fact]
    public async Task Weighted_backendRefs_split_calls_by_weight()
    {
        var result = await GrpcResult.CallAsync(Target, "split.example", "Unary", repeat: 200);

        Assert.Equal(200, result.Codes.GetValueOrDefault(GrpcResult.OkCode));
        // Weights 3:1 -> 150/50; ±40 is more than 6 standard deviations of Binomial(200, 0.25).
        Assert.InRange(result.Backends.GetValueOrDefault("grpc-a"), 110, 190);
        Assert.InRange(result.Backends.GetValueOrDefault("grpc-b"), 10, 90);
    }

    [Fact]
    public async Task Header_match_selects_the_more_specific_rule()
    {
        var blue = await GrpcResult.CallAsync(Target, "header.example", "Unary", metadata: "x-tenant=blue");
        var plain = await GrpcResult.CallAsync(Target, "header.example", "Unary");
        var otherMethod = await GrpcResult.CallAsync(Target, "header.example", "Stream", count: 1, metadata: "x-tenant=blue");

        Assert.Equal("grpc-b", (string?)Assert.Single(blue.Replies)["backend"]);
        Assert.Equal("grpc-a", (string?)Assert.Single(plain.Replies)["backend"]);
        // The header rule names method Unary; Stream falls to the service-wide rule.
        Assert.Equal("grpc-a", (string?)Assert.Single(otherMethod.Replies)["backend"]);
    }

    [Theory]
    [InlineData("grpc.example", "Unrouted")]   // the route matches only Unary and Stream
    [InlineData("nowhere.example", "Unary")]   // no route for the host at all
    public async Task A_call_no_rule_matches_gets_UNIMPLEMENTED(string authority, string method)
    {
        var result = await GrpcResult.CallAsync(Target, authority, method);

        Assert.Equal(GrpcResult.Unimplemented, result.Code);
        Assert.Empty(result.Replies);
    }

    [Theory]
    [InlineData("grpc.example", "/echo.Echo/Unrouted", "12")] // no rule: UNIMPLEMENTED
    [InlineData("broken.example", "/echo.Echo/Unary", "14")]  // invalid backendRef: UNAVAILABLE
    public async Task Gateway_errors_are_trailers_only_gRPC_responses_on_the_wire(string host, string path, string grpcStatus)
    {
        // Seen with a plain HTTP/2 client (not a gRPC library, which would map a bare 404 by itself): HTTP 200,
        // content-type application/grpc, grpc-status in the headers, no body.
        using var client = H2cClient();
        using var request = GrpcRequest(host, path, "application/grpc");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(grpcStatus, Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.True(response.Headers.Contains("grpc-message"));
        Assert.Empty(body);
    }

    [Fact]
    public async Task A_non_gRPC_request_for_a_gRPC_path_gets_plain_HTTP_errors_and_the_listener_keeps_serving()
    {
        using var client = H2cClient();
        using var request = GrpcRequest("grpc.example", "/echo.Echo/Unrouted", "text/plain");
        using var response = await client.SendAsync(request);

        // Not a gRPC caller: the gateway's 404 stays an HTTP 404.
        Assert.Equal(404, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
        var after = await GrpcResult.CallAsync(Target, "grpc.example", "Unary");
        Assert.True(after.Ok, after.ToString());
    }

    private static HttpClient H2cClient() => new(new SocketsHttpHandler { UseProxy = false })
    {
        DefaultRequestVersion = System.Net.HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(10),
    };

    private HttpRequestMessage GrpcRequest(string host, string path, string contentType)
    {
        // One empty gRPC message: compressed flag 0, length 0.
        var content = new ByteArrayContent(new byte[5]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://{S.GatewayAddress}:{Shared.Port}{path}")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    [Fact]
    public async Task A_call_to_a_rule_whose_backend_does_not_exist_gets_UNAVAILABLE()
    {
        var result = await GrpcResult.CallAsync(Target, "broken.example", "Unary");

        Assert.Equal(GrpcResult.Unavailable, result.Code);
        Assert.Empty(result.Replies);
    }

    [Fact]
    public async Task Status_reports_GRPCRoute_support_and_the_cross_type_hostname_conflict()
    {
        var status = await S.Gateway.StatusAsync();

        var accepted = status.RouteParentCondition("default", "echo", "gw", "Accepted", kind: "GRPCRoute");
        Assert.Equal("True", accepted?.Status);
        var broken = status.RouteParentCondition("default", "broken", "gw", "ResolvedRefs", kind: "GRPCRoute");
        Assert.Equal(("False", "BackendNotFound"), (broken?.Status, broken?.Reason));

        // The older HTTPRoute keeps web.example; the newer GRPCRoute is refused on that listener.
        var loser = status.RouteParentCondition("default", "grpc-on-web", "gw", "Accepted", kind: "GRPCRoute");
        Assert.Equal(("False", "NotAllowedByListeners"), (loser?.Status, loser?.Reason));
        Assert.Contains("HTTPRoute default/web", loser!.Message, StringComparison.Ordinal);
        Assert.Equal("True", status.RouteParentCondition("default", "web", "gw", "Accepted")?.Status);

        var kinds = status.Listener("default", "gw", "h2c")!["supportedKinds"]!.AsArray()
            .Select(k => (string?)k!["kind"]).ToList();
        Assert.Contains("GRPCRoute", kinds);
        Assert.Contains("HTTPRoute", kinds);
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("GRPCRoute", features);
    }

    [Fact]
    public async Task HTTP_traffic_on_the_same_listener_keeps_working_next_to_gRPC()
    {
        var http = await Client.SendAsync("web.example", Shared.Port, "/page");
        var grpc = await GrpcResult.CallAsync(Target, "web.example", "Unary");

        Assert.Equal(200, http.Status);
        Assert.Equal("web-echo", http.Echoed.Backend);
        // web.example belongs to the HTTPRoute: the refused GRPCRoute serves nothing there, so the gRPC call
        // reaches the HTTP echo, which is no gRPC server: the call fails instead of reaching a gRPC backend.
        Assert.False(grpc.Ok, grpc.ToString());
        Assert.Empty(grpc.Replies);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public int TlsPort { get; private set; }

        /// <summary>The HTTPS listener's (self-signed) certificate, as the roots the TLS client trusts.</summary>
        public string CaFile { get; private set; } = "";

        protected override string Name => "grpc";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = s.Own(await GrpcServer.StartAsync("grpc-a", "default", [s.NextAddress()]));
            var b = s.Own(await GrpcServer.StartAsync("grpc-b", "default", [s.NextAddress()]));
            var web = await s.StartEchoAsync("web-echo");
            Port = s.FreePort();
            TlsPort = s.FreePort();
            var certificate = TestCertificates.Create("grpc.example", "grpc.example");
            var certs = Path.Combine(s.ConfigDir, "certs");
            Directory.CreateDirectory(certs);
            CaFile = Path.Combine(certs, "gateway.pem.txt");
            await File.WriteAllTextAsync(CaFile, certificate.CertificatePem);
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("h2c", Port),
                    Listener("tls", TlsPort, protocol: "HTTPS", hostname: "grpc.example", certificateSecret: "grpc-cert")),
                TlsSecret("default", "grpc-cert", certificate.CertificatePem, certificate.KeyPem),
                // No appProtocol: a GRPCRoute backend is HTTP/2 anyway.
                a.ServiceYaml(),
                b.ServiceYaml(appProtocol: "kubernetes.io/h2c"),
                web.ServiceYaml(),
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
                    - method: {service: echo.Echo, method: Unary}
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier:
                        set: [{name: x-route, value: unary}]
                    - type: ResponseHeaderModifier
                      responseHeaderModifier:
                        add: [{name: x-served-by, value: meshway}]
                    backendRefs: [{name: grpc-a, port: 50051}]
                  - matches:
                    - method: {service: echo.Echo, method: Stream}
                    backendRefs: [{name: grpc-b, port: 50051}]
                """,
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata:
                  name: split
                  namespace: default
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["split.example"]
                  rules:
                  - matches:
                    - method: {service: echo.Echo}
                    backendRefs:
                    - {name: grpc-a, port: 50051, weight: 3}
                    - {name: grpc-b, port: 50051, weight: 1}
                """,
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata:
                  name: header
                  namespace: default
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["header.example"]
                  rules:
                  - matches:
                    - method: {type: RegularExpression, service: "echo\\.E.*"}
                    backendRefs: [{name: grpc-a, port: 50051}]
                  - matches:
                    - method: {service: echo.Echo, method: Unary}
                      headers: [{name: x-tenant, value: blue}]
                    backendRefs: [{name: grpc-b, port: 50051}]
                """,
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata:
                  name: broken
                  namespace: default
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["broken.example"]
                  rules:
                  - backendRefs: [{name: no-such-service, port: 50051}]
                """,
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: web
                  namespace: default
                  creationTimestamp: "2024-01-01T00:00:00Z"
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["web.example"]
                  rules:
                  - backendRefs: [{name: web-echo, port: 8080}]
                """,
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata:
                  name: grpc-on-web
                  namespace: default
                  creationTimestamp: "2025-01-01T00:00:00Z"
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: ["web.example"]
                  rules:
                  - backendRefs: [{name: grpc-a, port: 50051}]
                """));
        }
    }
}
