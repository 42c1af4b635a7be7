using System.Net.Sockets;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.ListenerSets;

/// <summary>
/// ListenerSet (GEP-1713) through the real binary: a Gateway that allows ListenerSets from its namespace gets
/// the set's HTTP and HTTPS listeners (new ports, the set's own certificate) and serves the routes attached to
/// the set; a ListenerSet from another namespace is NotAllowed and its port is never opened; status is on the
/// ListenerSet (conditions, listeners with their ports and routes) and on the Gateway (attachedListenerSets).
/// </summary>
public sealed class ListenerSetTests(ListenerSetTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<ListenerSetTests.Fixture>(fixture, output)
{
    private Fixture F => Shared;

    [Fact]
    public async Task The_sets_http_listener_serves_the_routes_attached_to_the_set()
    {
        var reply = await Client.SendAsync("a.ls.example", F.SetHttpPort, "/from-set");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-set", reply.Echoed.Backend);
    }

    [Fact]
    public async Task The_sets_https_listener_uses_the_sets_certificate()
    {
        var served = await Client.ServerCertificateAsync("a.ls.example", F.SetHttpsPort);
        Assert.Equal(F.SetCertificateThumbprint, served.Thumbprint);

        var reply = await Client.SendAsync("a.ls.example", F.SetHttpsPort, "/secure", https: true);
        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-set", reply.Echoed.Backend);
    }

    [Fact]
    public async Task The_gateways_own_listener_keeps_its_own_routes()
    {
        var reply = await Client.SendAsync("www.ls.example", F.GatewayPort, "/own");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-gw", reply.Echoed.Backend);
    }

    [Fact]
    public async Task A_set_the_gateway_does_not_allow_opens_no_port()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
            await socket.ConnectAsync(System.Net.IPAddress.Parse(S.GatewayAddress), F.NotAllowedPort));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Status_is_on_the_listener_sets_and_the_gateway()
    {
        var status = await S.Gateway.StatusAsync();

        var teamA = status.Require("ListenerSet", "default", "team-a")["status"]!;
        var accepted = teamA["conditions"]!.AsArray().Select(c => Condition.From(c!)).Single(c => c.Type == "Accepted");
        Assert.Equal(("True", "Accepted"), (accepted.Status, accepted.Reason));
        var listeners = teamA["listeners"]!.AsArray();
        Assert.Equal([F.SetHttpPort, F.SetHttpsPort], listeners.Select(l => (int)l!["port"]!));
        Assert.All(listeners, l => Assert.Equal(1, (int)l!["attachedRoutes"]!));

        var elsewhere = status.Require("ListenerSet", "other", "elsewhere")["status"]!;
        var refused = elsewhere["conditions"]!.AsArray().Select(c => Condition.From(c!)).Single(c => c.Type == "Accepted");
        Assert.Equal(("False", "NotAllowed"), (refused.Status, refused.Reason));

        var gateway = status.Require("Gateway", "default", "gw")["status"]!;
        Assert.Equal(1, (int)gateway["attachedListenerSets"]!);
        Assert.Single(gateway["listeners"]!.AsArray()); // the Gateway lists only its own listeners
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("ListenerSet", features);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int GatewayPort { get; private set; }

        public int SetHttpPort { get; private set; }

        public int SetHttpsPort { get; private set; }

        public int NotAllowedPort { get; private set; }

        public string SetCertificateThumbprint { get; private set; } = "";

        protected override string Name => "listenerset";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var set = await s.StartEchoAsync("echo-set");
            var own = await s.StartEchoAsync("echo-gw");
            GatewayPort = s.FreePort();
            SetHttpPort = s.FreePort();
            SetHttpsPort = s.FreePort();
            NotAllowedPort = s.FreePort();
            var certificate = TestCertificates.Create("a.ls.example");
            SetCertificateThumbprint = certificate.Thumbprint;

            var gateway = Gateway("default", "gw", s.GatewayAddress, Listener("http", GatewayPort, hostname: "www.ls.example"))
                .Replace("  gatewayClassName: meshway\n", "  gatewayClassName: meshway\n  allowedListeners:\n    namespaces:\n      from: Same\n", StringComparison.Ordinal);
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Namespace("other"),
                gateway,
                $$"""
                apiVersion: gateway.networking.k8s.io/v1
                kind: ListenerSet
                metadata:
                  name: team-a
                  namespace: default
                spec:
                  parentRef: {name: gw}
                  listeners:
                  - {name: extra, port: {{SetHttpPort}}, protocol: HTTP, hostname: a.ls.example}
                  - name: secure
                    port: {{SetHttpsPort}}
                    protocol: HTTPS
                    hostname: a.ls.example
                    tls:
                      certificateRefs: [{name: team-a-cert}]
                """,
                $$"""
                apiVersion: gateway.networking.k8s.io/v1
                kind: ListenerSet
                metadata:
                  name: elsewhere
                  namespace: other
                spec:
                  parentRef: {name: gw, namespace: default}
                  listeners:
                  - {name: extra, port: {{NotAllowedPort}}, protocol: HTTP}
                """,
                TlsSecret("default", "team-a-cert", certificate.CertificatePem, certificate.KeyPem),
                set.ServiceYaml(),
                own.ServiceYaml(),
                Route("via-set", parentRefs: "- {kind: ListenerSet, name: team-a}", rules: """
                    - backendRefs:
                      - {name: echo-set, port: 8080}
                    """),
                Route("via-gateway", rules: """
                    - backendRefs:
                      - {name: echo-gw, port: 8080}
                    """)));
        }
    }
}
