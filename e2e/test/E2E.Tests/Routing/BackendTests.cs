using System.Diagnostics;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Routing;

/// <summary>
/// Backends through the real binary: weighted backendRefs (0 weights, invalid refs -> 500), a rule with no
/// backend, unresolvable and cross-namespace refs (with and without ReferenceGrant) and their status,
/// endpoint spread, upstream failures (502) and timeouts (504).
/// </summary>
public sealed class BackendTests(BackendTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<BackendTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Fact]
    public async Task Weighted_backends_share_traffic_by_weight_and_weight_zero_gets_nothing()
    {
        const int requests = 400;
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            var reply = await Client.SendAsync("weighted.example", Port, "/");
            Assert.Equal(200, reply.Status);
            counts[reply.Echoed.Backend] = counts.GetValueOrDefault(reply.Echoed.Backend) + 1;
        }

        var summary = string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"));
        // Weights 3:1:0 -> 300/100/0; ±50 is more than 5 standard deviations of Binomial(400, 0.25).
        Assert.InRange(counts.GetValueOrDefault("echo-a"), 250, 350);
        Assert.InRange(counts.GetValueOrDefault("echo-b"), 50, 150);
        Assert.False(counts.ContainsKey("echo-c"), "weight 0 must get no traffic: " + summary);
    }

    [Fact]
    public async Task Requests_for_an_invalid_backendRef_get_500_in_its_share()
    {
        var ok = 0;
        var errors = 0;
        for (var i = 0; i < 100; i++)
        {
            var reply = await Client.SendAsync("halfinvalid.example", Port, "/");
            if (reply.Status == 200)
            {
                Assert.Equal("echo-a", reply.Echoed.Backend);
                ok++;
            }
            else
            {
                Assert.Equal(500, reply.Status);
                errors++;
            }
        }

        Assert.InRange(ok, 20, 80);
        Assert.InRange(errors, 20, 80);
    }

    [Theory]
    [InlineData("allinvalid.example")]   // every backendRef names a missing Service
    [InlineData("nobackend.example")]    // the rule has no backendRefs at all
    [InlineData("unknownkind.example")]  // backendRef of an unsupported kind
    public async Task A_rule_without_a_valid_backend_answers_500(string host)
    {
        for (var i = 0; i < 5; i++)
        {
            var reply = await Client.SendAsync(host, Port, "/");
            Assert.Equal(500, reply.Status);
            Assert.Null(reply.Echo);
        }
    }

    [Theory]
    [InlineData("all-invalid", "BackendNotFound")]
    [InlineData("unknown-kind", "InvalidKind")]
    [InlineData("cross-ns-denied", "RefNotPermitted")]
    public async Task Unresolvable_backendRefs_are_reported_in_route_status(string route, string reason)
    {
        var status = await S.Gateway.StatusAsync();

        var resolved = status.RouteParentCondition("default", route, "gw", "ResolvedRefs");
        Assert.True(resolved is not null, $"no ResolvedRefs condition for {route}: {status}");
        Assert.Equal("False", resolved.Status);
        Assert.Equal(reason, resolved.Reason);
        // Still attached: a bad backend does not unaccept the route.
        var accepted = status.RouteParentCondition("default", route, "gw", "Accepted");
        Assert.Equal("True", accepted?.Status);
    }

    [Fact]
    public async Task Cross_namespace_backend_without_ReferenceGrant_gets_500()
    {
        var reply = await Client.SendAsync("crossns.example", Port, "/denied");

        Assert.Equal(500, reply.Status);
        Assert.DoesNotContain(await Shared.Other.RequestsAsync(), r => r.Path == "/denied");
    }

    [Fact]
    public async Task Cross_namespace_backend_with_ReferenceGrant_is_reached()
    {
        var reply = await Client.SendAsync("crossns.example", Port, "/granted");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-granted", reply.Echoed.Backend);
        var status = await S.Gateway.StatusAsync();
        Assert.Equal("True", status.RouteParentCondition("default", "cross-ns-granted", "gw", "ResolvedRefs")?.Status);
    }

    [Fact]
    public async Task Requests_spread_over_every_endpoint_of_a_service()
    {
        var pods = new HashSet<string>();
        for (var i = 0; i < 90 && pods.Count < 3; i++)
        {
            var reply = await Client.SendAsync("spread.example", Port, "/");
            Assert.Equal(200, reply.Status);
            pods.Add(reply.Echoed.Pod);
        }

        Assert.Equal(3, pods.Count);
    }

    [Theory]
    [InlineData("noslice.example")]     // a Service with no EndpointSlice
    [InlineData("notready.example")]    // its only endpoint is not ready
    public async Task Service_without_ready_endpoints_answers_503(string host)
    {
        var reply = await Client.SendAsync(host, Port, "/");

        Assert.Equal(503, reply.Status);
    }

    [Fact]
    public async Task Endpoints_that_are_not_ready_get_no_traffic()
    {
        for (var i = 0; i < 30; i++)
        {
            var reply = await Client.SendAsync("someready.example", Port, "/");
            Assert.Equal(200, reply.Status);
            Assert.Equal("echo-a", reply.Echoed.Backend);
        }
    }

    [Fact]
    public async Task Every_EndpointSlice_of_a_service_contributes_endpoints()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 60 && seen.Count < 2; i++)
        {
            var reply = await Client.SendAsync("multislice.example", Port, "/");
            Assert.Equal(200, reply.Status);
            seen.Add(reply.Echoed.Backend);
        }

        Assert.Equal(["echo-a", "echo-b"], seen.Order());
    }

    [Fact]
    public async Task Unreachable_endpoint_answers_502()
    {
        var reply = await Client.SendAsync("down.example", Port, "/");

        Assert.Equal(502, reply.Status);
    }

    [Fact]
    public async Task Upstream_status_codes_pass_through_unchanged()
    {
        var reply = await Client.SendAsync("weighted.example", Port, "/", headers: [("x-echo-status", "503")]);

        Assert.Equal(503, reply.Status);
        Assert.NotNull(reply.Echo);
    }

    [Fact]
    public async Task H2c_app_protocol_makes_the_upstream_request_http2()
    {
        var h2c = await Client.SendAsync("h2c.example", Port, "/");
        var plain = await Client.SendAsync("weighted.example", Port, "/", headers: [("x-echo-status", "200")]);

        Assert.Equal(200, h2c.Status);
        Assert.Equal("HTTP/2.0", h2c.Echoed.Proto);
        Assert.Equal("HTTP/1.1", plain.Echoed.Proto);
    }

    [Fact]
    public async Task WebSocket_upgrade_is_proxied_both_ways()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = await Client.ConnectWebSocketAsync("ws.example", Port, "/chat", cts.Token);

        var received = new List<string>();
        foreach (var message in new[] { "hello", "again" })
        {
            await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message), System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
            var buffer = new byte[1024];
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            received.Add(System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        Assert.Equal(["echo-a: hello", "echo-a: again"], received);
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", cts.Token);
    }

    [Theory]
    [InlineData("/request-timeout")]
    [InlineData("/backend-timeout")]
    public async Task Slow_backend_beyond_the_timeout_answers_504(string path)
    {
        var clock = Stopwatch.StartNew();

        var reply = await Client.SendAsync("timeout.example", Port, path, headers: [("x-echo-delay-ms", "4000")]);

        Assert.Equal(504, reply.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"timeout 500ms took {clock.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("/request-timeout")]
    [InlineData("/backend-timeout")]
    public async Task Backend_within_the_timeout_answers_normally(string path)
    {
        var reply = await Client.SendAsync("timeout.example", Port, path, headers: [("x-echo-delay-ms", "50")]);

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-a", reply.Echoed.Backend);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public EchoBackend Other { get; private set; } = null!;

        protected override string Name => "backends";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = await s.StartEchoAsync("echo-a");
            var b = await s.StartEchoAsync("echo-b");
            var c = await s.StartEchoAsync("echo-c");
            var spread = await s.StartEchoAsync("echo-spread", pods: 3);
            Other = await s.StartEchoAsync("echo-other", ns: "other");
            var granted = await s.StartEchoAsync("echo-granted", ns: "granted");
            var deadAddress = s.NextAddress();
            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Namespace("other"),
                Namespace("granted"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)),
                a.ServiceYaml(),
                b.ServiceYaml(),
                c.ServiceYaml(),
                spread.ServiceYaml(),
                Other.ServiceYaml(),
                granted.ServiceYaml(),
                a.ServiceYaml(serviceName: "echo-a-h2c", appProtocol: "kubernetes.io/h2c"),
                a.ServiceYaml(serviceName: "echo-a-ws", appProtocol: "kubernetes.io/ws"),
                DeadService("dead", "default", deadAddress, Loopback.FreePort(deadAddress)),
                """
                apiVersion: v1
                kind: Service
                metadata:
                  name: no-slice
                  namespace: default
                spec:
                  ports:
                  - {name: http, port: 8080}
                """,
                ServiceWithSlice("not-ready", "default", 8080, a.Port, $"- addresses: [\"{a.Addresses[0]}\"]\n  conditions:\n    ready: false\n"),
                ServiceWithSlice(
                    "some-ready",
                    "default",
                    8080,
                    a.Port,
                    $"- addresses: [\"{a.Addresses[0]}\"]\n  conditions:\n    ready: true\n- addresses: [\"{b.Addresses[0]}\"]\n  conditions:\n    ready: false\n"),
                // Two slices of one Service, each with its own port (as Kubernetes does when ports differ).
                ServiceWithSlice("multi", "default", 8080, a.Port, $"- addresses: [\"{a.Addresses[0]}\"]\n"),
                ServiceWithSlice("multi", "default", 8080, b.Port, $"- addresses: [\"{b.Addresses[0]}\"]\n")
                    .Split("---\n")[1]
                    .Replace("name: multi-slice", "name: multi-slice-2", StringComparison.Ordinal)));

            s.WriteFile("routes.yaml", Documents(
                Route("weighted", hostnames: ["weighted.example"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080, weight: 3}
                      - {name: echo-b, port: 8080, weight: 1}
                      - {name: echo-c, port: 8080, weight: 0}
                    """),
                Route("half-invalid", hostnames: ["halfinvalid.example"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080, weight: 1}
                      - {name: does-not-exist, port: 8080, weight: 1}
                    """),
                Route("all-invalid", hostnames: ["allinvalid.example"], rules: """
                    - backendRefs:
                      - {name: missing-one, port: 8080}
                      - {name: missing-two, port: 8080}
                    """),
                Route("no-backend", hostnames: ["nobackend.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /}
                    """),
                Route("unknown-kind", hostnames: ["unknownkind.example"], rules: """
                    - backendRefs:
                      - {group: example.com, kind: Widget, name: echo-a, port: 8080}
                    """),
                Route("spread", hostnames: ["spread.example"], rules: """
                    - backendRefs:
                      - {name: echo-spread, port: 8080}
                    """),
                Route("h2c", hostnames: ["h2c.example"], rules: """
                    - backendRefs:
                      - {name: echo-a-h2c, port: 8080}
                    """),
                Route("ws", hostnames: ["ws.example"], rules: """
                    - backendRefs:
                      - {name: echo-a-ws, port: 8080}
                    """),
                Route("no-slice", hostnames: ["noslice.example"], rules: "- backendRefs:\n  - {name: no-slice, port: 8080}"),
                Route("not-ready", hostnames: ["notready.example"], rules: "- backendRefs:\n  - {name: not-ready, port: 8080}"),
                Route("some-ready", hostnames: ["someready.example"], rules: "- backendRefs:\n  - {name: some-ready, port: 8080}"),
                Route("multi", hostnames: ["multislice.example"], rules: "- backendRefs:\n  - {name: multi, port: 8080}"),
                Route("down", hostnames: ["down.example"], rules: """
                    - backendRefs:
                      - {name: dead, port: 8080}
                    """),
                Route("timeouts", hostnames: ["timeout.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /request-timeout}
                      timeouts: {request: 500ms}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /backend-timeout}
                      timeouts: {request: 10s, backendRequest: 500ms}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """)));

            s.WriteFile("cross-namespace.yaml", Documents(
                Route("cross-ns-denied", hostnames: ["crossns.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /denied}
                      backendRefs:
                      - {name: echo-other, namespace: other, port: 8080}
                    """),
                Route("cross-ns-granted", hostnames: ["crossns.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /granted}
                      backendRefs:
                      - {name: echo-granted, namespace: granted, port: 8080}
                    """),
                """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata:
                  name: allow-default-routes
                  namespace: granted
                spec:
                  from:
                  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}
                  to:
                  - {group: "", kind: Service}
                """));
        }
    }
}
