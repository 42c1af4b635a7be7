using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Listeners;

/// <summary>
/// Listeners and attachment through the real binary: parentRef sectionName and port, allowedRoutes
/// namespaces Same/All/Selector, listener isolation, hostname intersection, conflicts, and the status
/// reasons for each refusal.
/// </summary>
public sealed class ListenerTests(ListenerTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<ListenerTests.Fixture>(fixture, output)
{
    private Fixture F => Shared;

    [Fact]
    public async Task SectionName_attaches_a_route_to_that_listener_only()
    {
        var onA = await Client.SendAsync("any.example", F.PortA, "/section");
        var onB = await Client.SendAsync("any.example", F.PortB, "/section");

        Assert.Equal(200, onA.Status);
        Assert.Equal("echo-a", onA.Echoed.Backend);
        Assert.Equal(404, onB.Status);
    }

    [Fact]
    public async Task ParentRef_port_attaches_a_route_to_listeners_on_that_port_only()
    {
        var onB = await Client.SendAsync("any.example", F.PortB, "/port");
        var onA = await Client.SendAsync("any.example", F.PortA, "/port");

        Assert.Equal(200, onB.Status);
        Assert.Equal("echo-b", onB.Echoed.Backend);
        Assert.Equal(404, onA.Status);
    }

    [Theory]
    [InlineData("bad-section")]
    [InlineData("bad-port")]
    public async Task ParentRef_matching_no_listener_is_not_accepted_with_NoMatchingParent(string route)
    {
        var status = await S.Gateway.StatusAsync();

        var accepted = status.RouteParentCondition("default", route, "gw", "Accepted");
        Assert.True(accepted is not null, $"no Accepted condition for {route}: {status}");
        Assert.Equal("False", accepted.Status);
        Assert.Equal("NoMatchingParent", accepted.Reason);
    }

    [Fact]
    public async Task Route_from_another_namespace_is_refused_by_a_Same_listener()
    {
        var reply = await Client.SendAsync("any.example", F.PortA, "/team-same");
        var status = await S.Gateway.StatusAsync();

        Assert.Equal(404, reply.Status);
        var accepted = status.RouteParentCondition("team", "team-same", "gw", "Accepted");
        Assert.Equal("False", accepted?.Status);
        Assert.Equal("NotAllowedByListeners", accepted?.Reason);
    }

    [Fact]
    public async Task Route_from_another_namespace_is_accepted_by_an_All_listener()
    {
        var reply = await Client.SendAsync("any.example", F.PortB, "/team-all");
        var status = await S.Gateway.StatusAsync();

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-team", reply.Echoed.Backend);
        Assert.Equal("True", status.RouteParentCondition("team", "team-all", "gw", "Accepted")?.Status);
        Assert.Equal("True", status.RouteParentCondition("team", "team-all", "gw", "ResolvedRefs")?.Status);
    }

    [Fact]
    public async Task Selector_listener_accepts_routes_from_namespaces_with_matching_labels_only()
    {
        var prod = await Client.SendAsync("any.example", F.PortSelector, "/sel-prod");
        var dev = await Client.SendAsync("any.example", F.PortSelector, "/sel-dev");
        var status = await S.Gateway.StatusAsync();

        Assert.Equal(200, prod.Status);
        Assert.Equal("echo-prod", prod.Echoed.Backend);
        Assert.Equal(404, dev.Status);
        Assert.Equal("True", status.RouteParentCondition("prod-ns", "sel-route", "gw", "Accepted")?.Status);
        var devAccepted = status.RouteParentCondition("dev-ns", "sel-route", "gw", "Accepted");
        Assert.Equal("False", devAccepted?.Status);
        Assert.Equal("NotAllowedByListeners", devAccepted?.Reason);
    }

    [Theory]
    [InlineData("bar.iso.example", "/anything", 200, "echo-a")]  // only the wildcard listener serves bar
    [InlineData("foo.iso.example", "/foo-only", 200, "echo-b")]
    [InlineData("foo.iso.example", "/anything", 404, null)]      // foo belongs to its own listener: isolation
    public async Task Listener_isolation_keeps_a_more_specific_listener_to_its_own_routes(string host, string path, int status, string? backend)
    {
        var reply = await Client.SendAsync(host, F.PortIsolation, path);

        Assert.Equal(status, reply.Status);
        if (backend is not null)
        {
            Assert.Equal(backend, reply.Echoed.Backend);
        }
    }

    [Theory]
    [InlineData("a.inter.example", 200)]
    [InlineData("other.org", 404)]       // route hostname outside the listener's *.inter.example
    [InlineData("b.inter.example", 404)] // inside the listener, not in the route's hostnames
    public async Task Only_the_intersection_of_listener_and_route_hostnames_is_served(string host, int status)
    {
        var reply = await Client.SendAsync(host, F.PortIntersection, "/");

        Assert.Equal(status, reply.Status);
    }

    [Fact]
    public async Task Route_whose_hostnames_miss_the_listener_is_refused_with_NoMatchingListenerHostname()
    {
        var status = await S.Gateway.StatusAsync();

        var accepted = status.RouteParentCondition("default", "no-intersection", "gw", "Accepted");
        Assert.Equal("False", accepted?.Status);
        Assert.Equal("NoMatchingListenerHostname", accepted?.Reason);
    }

    [Fact]
    public async Task Listener_status_counts_attached_routes_and_lists_supported_kinds()
    {
        var status = await S.Gateway.StatusAsync();

        var intersection = status.Listener("default", "gw", "intersection");
        Assert.True(intersection is not null, "no listener status for 'intersection': " + status);
        Assert.Equal(1, (int?)intersection["attachedRoutes"]);
        var kinds = intersection["supportedKinds"]!.AsArray().Select(k => (string?)k!["kind"]).ToList();
        Assert.Contains("HTTPRoute", kinds);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "intersection", "Accepted")?.Status);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "intersection", "Programmed")?.Status);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "intersection", "ResolvedRefs")?.Status);
        Assert.Equal("False", status.ListenerCondition("default", "gw", "intersection", "Conflicted")?.Status);
        Assert.Equal(1, (int?)status.Listener("default", "gw", "selector")?["attachedRoutes"]);
    }

    [Fact]
    public async Task Listeners_with_the_same_port_and_hostname_are_reported_as_HostnameConflict()
    {
        var status = await S.Gateway.StatusAsync();

        var conflicts = new[] { "dup-1", "dup-2" }
            .Select(l => status.ListenerCondition("default", "gw-conflict", l, "Conflicted"))
            .Where(c => c is { Status: "True" })
            .ToList();
        Assert.True(conflicts.Count > 0, "expected Conflicted=True on dup-1/dup-2: " + status);
        Assert.All(conflicts, c => Assert.Equal("HostnameConflict", c!.Reason));
    }

    [Fact]
    public async Task Listeners_with_the_same_port_and_different_protocols_are_reported_as_ProtocolConflict()
    {
        var status = await S.Gateway.StatusAsync();

        var conflicts = new[] { "proto-http", "proto-https" }
            .Select(l => status.ListenerCondition("default", "gw-conflict", l, "Conflicted"))
            .Where(c => c is { Status: "True" })
            .ToList();
        Assert.True(conflicts.Count > 0, "expected Conflicted=True on proto-http/proto-https: " + status);
        Assert.All(conflicts, c => Assert.Equal("ProtocolConflict", c!.Reason));
    }

    [Fact]
    public async Task Listener_with_an_unsupported_protocol_is_not_accepted()
    {
        var status = await S.Gateway.StatusAsync();

        var accepted = status.ListenerCondition("default", "gw-conflict", "udp", "Accepted");
        Assert.Equal("False", accepted?.Status);
        Assert.Equal("UnsupportedProtocol", accepted?.Reason);
    }

    [Fact]
    public async Task Listener_allowing_only_unsupported_route_kinds_reports_InvalidRouteKinds()
    {
        var status = await S.Gateway.StatusAsync();

        var resolved = status.ListenerCondition("default", "gw-conflict", "tcp-kinds", "ResolvedRefs");
        Assert.Equal("False", resolved?.Status);
        Assert.Equal("InvalidRouteKinds", resolved?.Reason);
        var kinds = status.Listener("default", "gw-conflict", "tcp-kinds")?["supportedKinds"]?.AsArray() ?? [];
        Assert.DoesNotContain(kinds, k => (string?)k?["kind"] == "TCPRoute");
    }

    [Fact]
    public async Task A_conflicted_gateway_does_not_disturb_the_other_gateway()
    {
        var reply = await Client.SendAsync("any.example", F.PortA, "/section");

        Assert.Equal(200, reply.Status);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int PortA { get; private set; }

        public int PortB { get; private set; }

        public int PortSelector { get; private set; }

        public int PortIsolation { get; private set; }

        public int PortIntersection { get; private set; }

        protected override string Name => "listeners";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = await s.StartEchoAsync("echo-a");
            var b = await s.StartEchoAsync("echo-b");
            var team = await s.StartEchoAsync("echo-team", ns: "team");
            var prod = await s.StartEchoAsync("echo-prod", ns: "prod-ns");
            var dev = await s.StartEchoAsync("echo-dev", ns: "dev-ns");
            PortA = s.FreePort();
            PortB = s.FreePort();
            PortSelector = s.FreePort();
            PortIsolation = s.FreePort();
            PortIntersection = s.FreePort();
            var conflictAddress = s.ExtraGatewayAddress(2);
            var conflictPort = Loopback.FreePort(conflictAddress);
            var protocolPort = Loopback.FreePort(conflictAddress);
            var cert = TestCertificates.Create("proto.example");

            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Namespace("team"),
                Namespace("prod-ns", ("env", "prod")),
                Namespace("dev-ns", ("env", "dev")),
                Gateway(
                    "default",
                    "gw",
                    s.GatewayAddress,
                    Listener("http-a", PortA),
                    Listener("http-b", PortB, from: "All"),
                    Listener("selector", PortSelector, from: "Selector", selectorLabel: ("env", "prod")),
                    Listener("wildcard", PortIsolation, hostname: "*.iso.example"),
                    Listener("specific", PortIsolation, hostname: "foo.iso.example"),
                    Listener("intersection", PortIntersection, hostname: "*.inter.example")),
                a.ServiceYaml(),
                b.ServiceYaml(),
                team.ServiceYaml(),
                prod.ServiceYaml(),
                dev.ServiceYaml()));

            s.WriteFile("conflicts.yaml", Documents(
                Gateway(
                    "default",
                    "gw-conflict",
                    conflictAddress,
                    Listener("dup-1", conflictPort, hostname: "dup.example"),
                    Listener("dup-2", conflictPort, hostname: "dup.example"),
                    Listener("proto-http", protocolPort, hostname: "proto.example"),
                    Listener("proto-https", protocolPort, protocol: "HTTPS", hostname: "proto.example", certificateSecret: "proto-cert"),
                    Listener("udp", Loopback.FreePort(conflictAddress), protocol: "UDP"),
                    Listener("tcp-kinds", Loopback.FreePort(conflictAddress)) + "    allowedRoutes:\n      kinds:\n      - {kind: TCPRoute}\n"),
                TlsSecret("default", "proto-cert", cert.CertificatePem, cert.KeyPem)));

            s.WriteFile("attachment.yaml", Documents(
                Route("section", parentRefs: "- {name: gw, sectionName: http-a}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /section}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("by-port", parentRefs: $"- {{name: gw, port: {PortB}}}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /port}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """),
                Route("bad-section", parentRefs: "- {name: gw, sectionName: no-such-listener}", rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("bad-port", parentRefs: "- {name: gw, port: 1}", rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("team-same", ns: "team", parentRefs: "- {name: gw, namespace: default, sectionName: http-a}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /team-same}
                      backendRefs:
                      - {name: echo-team, port: 8080}
                    """),
                Route("team-all", ns: "team", parentRefs: "- {name: gw, namespace: default, sectionName: http-b}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /team-all}
                      backendRefs:
                      - {name: echo-team, port: 8080}
                    """),
                Route("sel-route", ns: "prod-ns", parentRefs: "- {name: gw, namespace: default, sectionName: selector}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /sel-prod}
                      backendRefs:
                      - {name: echo-prod, port: 8080}
                    """),
                Route("sel-route", ns: "dev-ns", parentRefs: "- {name: gw, namespace: default, sectionName: selector}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /sel-dev}
                      backendRefs:
                      - {name: echo-dev, port: 8080}
                    """)));

            s.WriteFile("hostnames.yaml", Documents(
                Route("iso-wildcard", parentRefs: "- {name: gw, sectionName: wildcard}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("iso-specific", parentRefs: "- {name: gw, sectionName: specific}", rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /foo-only}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """),
                Route("intersecting", parentRefs: "- {name: gw, sectionName: intersection}", hostnames: ["a.inter.example", "other.org"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("no-intersection", parentRefs: "- {name: gw, sectionName: intersection}", hostnames: ["nothing.org"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """)));
        }
    }
}
