using System.Globalization;
using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Http2;

/// <summary>
/// WebSocket over HTTP/2 (RFC 8441) through the real binary: Node's http2 client opens an extended CONNECT
/// stream (`:protocol: websocket`) over h2c prior knowledge on an HTTP listener and over h2 (ALPN) on an HTTPS
/// listener, then writes masked RFC 6455 frames by hand. The gateway must advertise
/// SETTINGS_ENABLE_CONNECT_PROTOCOL, and forwards to a `kubernetes.io/ws` backend as an HTTP/1.1 Upgrade
/// (the echo peer's WebSocket server), with the route's request header filter applied to the handshake.
/// </summary>
public sealed class H2WebSocketTests(H2WebSocketTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<H2WebSocketTests.Fixture>(fixture, output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Extended_CONNECT_websocket_round_trips_messages_and_closes(bool tls)
    {
        var result = await ConnectAsync(tls, "/chat", "hello,again");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.True((bool)json["enableConnectProtocol"]!, result.ToString());
        Assert.Equal(200, (int)json["status"]!);
        // The backend's 101 headers come back on the HTTP/2 200.
        Assert.Equal("echo-ws", (string?)json["headers"]!["x-echo-backend"]);
        Assert.Equal(new[] { "echo-ws: hello", "echo-ws: again" }, json["messages"]!.AsArray().Select(m => (string)m!).ToArray());
        Assert.Equal(1000, (int)json["closeCode"]!);
    }

    [Fact]
    public async Task Route_request_header_filter_applies_to_the_handshake_the_backend_sees()
    {
        var result = await ConnectAsync(tls: false, "/filtered", "x", header: "x-client:kept");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, (int)result.Json["status"]!);
        var seen = (await Shared.Backend.RequestsAsync()).Last(r => r.Path == "/filtered");
        // The backend got an HTTP/1.1 Upgrade (YARP turns the HTTP/2 CONNECT into one), with the filter's header.
        Assert.Equal("websocket", seen.Proto);
        Assert.Equal("GET", seen.Method);
        Assert.Equal("h2ws", seen.Header("x-route"));
        Assert.Equal("kept", seen.Header("x-client"));
        Assert.Equal("ws.example", seen.HostName);
    }

    [Fact]
    public async Task Extended_CONNECT_for_an_unrouted_host_gets_404_and_the_listener_keeps_serving()
    {
        var refused = await NodePeer.NodeAsync("h2-websocket.js",
            "--address", S.GatewayAddress, "--port", Shared.Port.ToString(CultureInfo.InvariantCulture),
            "--host", "nowhere.example", "--path", "/chat");
        var after = await ConnectAsync(tls: false, "/chat", "still");

        Assert.True(refused.ExitCode == 0, refused.ToString());
        Assert.Equal(404, (int)refused.Json["status"]!);
        Assert.Equal(new[] { "echo-ws: still" }, after.Json["messages"]!.AsArray().Select(m => (string)m!).ToArray());
    }

    private Task<NodePeer.Result> ConnectAsync(bool tls, string path, string messages, string? header = null)
    {
        var port = tls ? Shared.TlsPort : Shared.Port;
        var args = new List<string>
        {
            "--address", S.GatewayAddress, "--port", port.ToString(CultureInfo.InvariantCulture),
            "--host", "ws.example", "--path", path, "--messages", messages, "--tls", tls ? "1" : "0",
        };
        if (header is not null)
        {
            args.AddRange(["--header", header]);
        }

        return NodePeer.NodeAsync("h2-websocket.js", [.. args]);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public int TlsPort { get; private set; }

        public EchoBackend Backend { get; private set; } = null!;

        protected override string Name => "h2-websocket";

        protected override async Task ConfigureAsync(Scenario s)
        {
            Backend = await s.StartEchoAsync("echo-ws");
            Port = s.FreePort();
            TlsPort = s.FreePort();
            var certificate = TestCertificates.Create("ws.example", "ws.example");
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port),
                    Listener("https", TlsPort, protocol: "HTTPS", hostname: "ws.example", certificateSecret: "ws-cert")),
                TlsSecret("default", "ws-cert", certificate.CertificatePem, certificate.KeyPem),
                Backend.ServiceYaml(appProtocol: "kubernetes.io/ws"),
                Route("ws", """
                    - filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier:
                          set: [{name: x-route, value: h2ws}]
                      backendRefs:
                      - name: echo-ws
                        port: 8080
                    """, hostnames: ["ws.example"])));
        }
    }
}
