using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.L4;

/// <summary>
/// TLSRoute and TCPRoute through the real binary with real peers. One port carries three listeners told apart
/// by SNI (mixed mode): TLS Passthrough for *.pass.l4.example (two TLSRoutes to two Node TLS backends with
/// their own certificates), TLS Terminate for mail.term.l4.example (the gateway's certificate, plaintext to a
/// Node net backend) and HTTPS for www.https.l4.example (HTTPRoute). Another port is a TCP listener with a
/// TCPRoute to a Node net echo. Clients: openssl s_client and Node's tls/net.
/// </summary>
public sealed class TlsAndTcpRouteTests(TlsAndTcpRouteTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<TlsAndTcpRouteTests.Fixture>(fixture, output)
{
    private Fixture F => Shared;

    [Theory]
    [InlineData("db.pass.l4.example", "db")]
    [InlineData("api.pass.l4.example", "wild")]
    public async Task Passthrough_routes_by_sni_and_the_node_client_sees_the_backends_own_certificate(string sni, string backend)
    {
        var result = await StreamClients.NodeAsync(S.GatewayAddress, F.TlsPort, sni, "hello,sni");

        Assert.True(result.Ok, result.Raw);
        Assert.Equal(backend + "-backend", result.SubjectCn); // the backend's certificate, not one of the gateway's
        Assert.Equal([backend + ":hello", backend + ":sni=" + sni, backend + ":bye"], result.Received);
    }

    [Fact]
    public async Task Passthrough_with_openssl_s_client_reaches_the_backend_by_sni()
    {
        var (exit, stdout, stderr) = await StreamClients.OpenSslAsync(S.GatewayAddress, F.TlsPort, "db.pass.l4.example", "ping\nquit\n");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("CN=db-backend", stdout.Replace(" = ", "=", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("db:ping", stdout, StringComparison.Ordinal);
        Assert.Contains("db:quit", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminate_mode_presents_the_gateway_certificate_and_streams_plaintext_to_the_backend()
    {
        var result = await StreamClients.NodeAsync(S.GatewayAddress, F.TlsPort, "mail.term.l4.example", "hello,sni", alpn: "h2,http/1.1");

        Assert.True(result.Ok, result.Raw);
        Assert.Equal("mail.term.l4.example", result.SubjectCn);
        Assert.Null(result.Alpn); // opaque bytes: no HTTP protocol is claimed
        // The backend got plaintext over TCP: it saw no TLS, so no SNI.
        Assert.Equal(["mail:hello", "mail:sni=none", "mail:bye"], result.Received);

        var (exit, stdout, stderr) = await StreamClients.OpenSslAsync(S.GatewayAddress, F.TlsPort, "mail.term.l4.example", "over-openssl\nquit\n");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("mail:over-openssl", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_listener_on_the_same_port_still_serves_http()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, "www.https.l4.example", F.TlsPort, "/mixed", https: true, "-k", "--http2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
        Assert.Contains("\"backend\":\"web\"", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_route_echoes_and_passes_the_clients_half_close_on()
    {
        var result = await StreamClients.NodeAsync(S.GatewayAddress, F.TcpPort, null, "one,two", plain: true);

        Assert.True(result.Ok, result.Raw);
        Assert.Equal(["tcp-echo:one", "tcp-echo:two", "tcp-echo:bye"], result.Received);
    }

    [Fact]
    public async Task Bad_clients_are_closed_counted_and_the_listener_keeps_serving()
    {
        // No SNI, on a port with only a TLS passthrough listener (where only SNI can choose a route).
        var (noSniExit, noSniOut, noSniErr) = await StreamClients.OpenSslAsync(S.GatewayAddress, F.SoloPort, null, "x\n");
        Assert.NotEqual(0, noSniExit);
        Assert.DoesNotContain("db:x", noSniOut, StringComparison.Ordinal);
        // Refused with a TLS alert the client can report: unrecognized_name (112).
        Assert.Contains("alert number 112", noSniOut + noSniErr, StringComparison.Ordinal);

        // Plain HTTP bytes on the TLS port.
        var curl = await Curl.RunAsync(S.GatewayAddress, "solo.l4.example", F.SoloPort, "/", https: false);
        Assert.NotEqual(0, curl.ExitCode);

        // A truncated ClientHello (the first 60 bytes of a real one), then a half-close.
        var hello = await RealClientHelloPrefixAsync(S.GatewayAddress, F.SoloPort);
        Assert.True(hello > 0);

        // An SNI no listener serves.
        var unknown = await StreamClients.NodeAsync(S.GatewayAddress, F.SoloPort, "nobody.l4.example", "x");
        Assert.False(unknown.Ok, unknown.Raw);
        Assert.Equal("ERR_SSL_TLSV1_UNRECOGNIZED_NAME", unknown.Error);

        var good = await StreamClients.NodeAsync(S.GatewayAddress, F.SoloPort, "solo.l4.example", "still");
        Assert.True(good.Ok, good.Raw);
        Assert.Equal(["db:still", "db:bye"], good.Received);

        var metrics = await S.Gateway.MetricsAsync();
        foreach (var reason in new[] { "no_sni", "not_tls", "truncated", "no_route" })
        {
            Assert.Matches($"meshway_stream_refused_total{{reason=\"{reason}\"}} [1-9]", metrics);
        }

        Assert.True(S.Gateway.LogsContain("NoSni"), "expected a log line for the SNI-less client");
        Assert.False(S.Gateway.HasExited);
    }

    /// <summary>Sends the first 60 bytes of a ClientHello, half-closes, returns how many bytes were sent once the gateway closed.</summary>
    private static async Task<int> RealClientHelloPrefixAsync(string address, int port)
    {
        // openssl writes a real ClientHello to this in-test listener; its first bytes are replayed to the gateway.
        using var capture = new TcpListener(IPAddress.Parse(address), 0);
        capture.Start();
        var capturePort = ((IPEndPoint)capture.LocalEndpoint).Port;
        var openssl = StreamClients.OpenSslAsync(address, capturePort, "db.pass.l4.example", "");
        byte[] prefix;
        using (var captured = await capture.AcceptTcpClientAsync())
        {
            var buffer = new byte[60];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await captured.GetStream().ReadAsync(buffer.AsMemory(read));
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            prefix = buffer[..read];
        }

        await openssl;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(address), port);
        await socket.SendAsync(prefix);
        socket.Shutdown(SocketShutdown.Send);
        var rest = new byte[64];
        try
        {
            while (await socket.ReceiveAsync(rest).WaitAsync(TimeSpan.FromSeconds(10)) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }

        return prefix.Length;
    }

    [Fact]
    public async Task Status_reports_tls_and_tcp_routes_and_listener_kinds()
    {
        var status = await S.Gateway.StatusAsync();

        foreach (var route in new[] { "db", "wild", "mail", "swap", "solo" })
        {
            Assert.Equal("True", status.RouteParentCondition("default", route, "gw", "Accepted", kind: "TLSRoute")?.Status);
            Assert.Equal("True", status.RouteParentCondition("default", route, "gw", "ResolvedRefs", kind: "TLSRoute")?.Status);
        }

        Assert.Equal("True", status.RouteParentCondition("default", "echo", "gw", "Accepted", kind: "TCPRoute")?.Status);
        var refused = status.RouteParentCondition("default", "http-on-tls", "gw", "Accepted", kind: "HTTPRoute");
        Assert.Equal(("False", "NotAllowedByListeners"), (refused?.Status, refused?.Reason));
        var kinds = status.Require("Gateway", "default", "gw")["status"]!["listeners"]!.AsArray()
            .ToDictionary(l => (string)l!["name"]!, l => string.Join(",", l!["supportedKinds"]!.AsArray().Select(k => (string)k!["kind"]!)));
        Assert.Equal("TLSRoute", kinds["pass"]);
        Assert.Equal("TLSRoute", kinds["term"]);
        Assert.Equal("TCPRoute", kinds["tcp"]);
        Assert.Equal("HTTPRoute,GRPCRoute", kinds["https"]);
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("TLSRoute", features);
        Assert.Contains("TLSRouteModeTerminate", features);
        Assert.Contains("TLSRouteModeMixed", features);
        Assert.Contains("TCPRoute", features);
    }

    [Fact]
    public async Task A_route_change_applies_to_new_connections_while_an_open_one_continues()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Parse(S.GatewayAddress), F.TlsPort);
        await using var open = new SslStream(tcp.GetStream());
        await open.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "swap.pass.l4.example",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        using var reader = new StreamReader(open, Encoding.ASCII, leaveOpen: true);
        await open.WriteAsync(Encoding.ASCII.GetBytes("first\n"));
        Assert.Equal("db:first", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        // Point the swap route at the other backend and wait until the gateway serves it.
        S.WriteFile("swap.yaml", F.SwapRoute("wild"));
        await Poll.UntilAsync(
            () => StreamClients.NodeAsync(S.GatewayAddress, F.TlsPort, "swap.pass.l4.example", "probe"),
            r => r.Ok && r.Received.Count > 0 && r.Received[0] == "wild:probe",
            TimeSpan.FromSeconds(20),
            "new connections to swap.pass.l4.example reach the wild backend",
            intervalMs: 200);

        await open.WriteAsync(Encoding.ASCII.GetBytes("second\n"));
        Assert.Equal("db:second", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        S.WriteFile("swap.yaml", F.SwapRoute("db"));
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int TlsPort { get; private set; }

        public int TcpPort { get; private set; }

        /// <summary>A port with only a TLS passthrough listener (solo.l4.example).</summary>
        public int SoloPort { get; private set; }

        protected override string Name => "l4";

        public string SwapRoute(string backend) => TlsRoute("swap", ["swap.pass.l4.example"], "pass", backend, 443);

        private static string TlsRoute(string name, string[] hostnames, string section, string backend, int port) => $$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: TLSRoute
            metadata:
              name: {{name}}
              namespace: default
              generation: 1
            spec:
              parentRefs:
              - name: gw
                sectionName: {{section}}
              hostnames: [{{string.Join(", ", hostnames.Select(h => "\"" + h + "\""))}}]
              rules:
              - backendRefs:
                - name: {{backend}}
                  port: {{port}}
            """;

        protected override async Task ConfigureAsync(Scenario s)
        {
            var peers = Path.Combine(s.ConfigDir, "..", s.Name + "-peers");
            Directory.CreateDirectory(peers);
            var db = s.Own(await StreamEchoPeer.StartAsync("db", s.NextAddress(), TestCertificates.Create("db-backend", "db.pass.l4.example", "swap.pass.l4.example"), peers));
            var wild = s.Own(await StreamEchoPeer.StartAsync("wild", s.NextAddress(), TestCertificates.Create("wild-backend", "*.pass.l4.example"), peers));
            var mail = s.Own(await StreamEchoPeer.StartAsync("mail", s.NextAddress(), null, peers));
            var tcpEcho = s.Own(await StreamEchoPeer.StartAsync("tcp-echo", s.NextAddress(), null, peers));
            var web = await s.StartEchoAsync("web");
            TlsPort = s.FreePort();
            TcpPort = s.FreePort();
            SoloPort = s.FreePort();
            var mailCert = TestCertificates.Create("mail.term.l4.example");
            var webCert = TestCertificates.Create("www.https.l4.example");

            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway(
                    "default",
                    "gw",
                    s.GatewayAddress,
                    $"""
                      - name: pass
                        port: {TlsPort}
                        protocol: TLS
                        hostname: "*.pass.l4.example"
                        tls:
                          mode: Passthrough

                    """,
                    Listener("term", TlsPort, "TLS", "mail.term.l4.example", certificateSecret: "mail-cert"),
                    Listener("https", TlsPort, "HTTPS", "www.https.l4.example", certificateSecret: "web-cert"),
                    Listener("tcp", TcpPort, "TCP"),
                    $"""
                      - name: solo
                        port: {SoloPort}
                        protocol: TLS
                        tls:
                          mode: Passthrough

                    """),
                TlsSecret("default", "mail-cert", mailCert.CertificatePem, mailCert.KeyPem),
                TlsSecret("default", "web-cert", webCert.CertificatePem, webCert.KeyPem),
                db.ServiceYaml(443),
                wild.ServiceYaml(443),
                mail.ServiceYaml(25),
                tcpEcho.ServiceYaml(7),
                web.ServiceYaml("web"),
                TlsRoute("db", ["db.pass.l4.example"], "pass", "db", 443),
                TlsRoute("wild", ["*.pass.l4.example"], "pass", "wild", 443),
                TlsRoute("mail", ["mail.term.l4.example"], "term", "mail", 25),
                TlsRoute("solo", ["solo.l4.example"], "solo", "db", 443),
                Route("web", "- backendRefs:\n" + Indent(Backend("web"), 2), parentRefs: "- name: gw\n  sectionName: https"),
                Route("http-on-tls", "- backendRefs:\n" + Indent(Backend("web"), 2), parentRefs: "- name: gw\n  sectionName: pass"),
                """
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TCPRoute
                metadata:
                  name: echo
                  namespace: default
                  generation: 1
                spec:
                  parentRefs:
                  - name: gw
                    sectionName: tcp
                  rules:
                  - backendRefs:
                    - name: tcp-echo
                      port: 7
                """));
            s.WriteFile("swap.yaml", SwapRoute("db"));
        }
    }
}
