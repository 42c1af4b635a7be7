using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Config;

/// <summary>
/// Manifests as they come from real tooling rather than from our helpers: `.yml` files, CRLF line
/// endings and comments, v1beta1 HTTPRoutes, explicit group/kind on refs, multi-port Services whose
/// EndpointSlice ports are matched by name.
/// </summary>
public sealed class ManifestVariantsTests(ManifestVariantsTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<ManifestVariantsTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Fact]
    public async Task Yml_files_with_crlf_line_endings_and_comments_are_read()
    {
        var reply = await Client.SendAsync("crlf.example", Port, "/");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-web", reply.Echoed.Backend);
    }

    [Fact]
    public async Task V1beta1_route_with_explicit_group_and_kind_is_served()
    {
        var reply = await Client.SendAsync("beta.example", Port, "/");
        var status = await S.Gateway.StatusAsync();

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-admin", reply.Echoed.Backend);
        Assert.Equal("True", status.RouteParentCondition("default", "beta", "gw", "Accepted")?.Status);
    }

    [Theory]
    [InlineData("/web", "echo-web")]
    [InlineData("/admin", "echo-admin")]
    public async Task Service_ports_map_to_endpoint_ports_by_name(string path, string backend)
    {
        var reply = await Client.SendAsync("multiport.example", Port, path);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "variants";

        protected override async Task ConfigureAsync(Scenario s)
        {
            // Two processes on one pod address: one pod with two container ports.
            var pod = s.NextAddress();
            var web = await s.StartEchoAsync("echo-web", "default", [pod]);
            var admin = await s.StartEchoAsync("echo-admin", "default", [pod]);
            Port = s.FreePort();

            var gateway = $"""
                # The gateway, written on Windows.
                ---
                {GatewayClass.TrimEnd()}
                ---
                {Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)).TrimEnd()}
                """;
            s.WriteFile("gateway.yml", gateway.Replace("\n", "\r\n", StringComparison.Ordinal));

            s.WriteFile("multiport.yaml", $$"""
                apiVersion: v1
                kind: Service
                metadata:
                  name: multi
                  namespace: default
                spec:
                  ports:
                  - {name: web, port: 80, targetPort: web-port}
                  - {name: admin, port: 81, targetPort: admin-port}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: multi-abcde
                  namespace: default
                  labels:
                    kubernetes.io/service-name: multi
                addressType: IPv4
                ports:   # listed in the other order on purpose
                - {name: admin, port: {{admin.Port}}, protocol: TCP}
                - {name: web, port: {{web.Port}}, protocol: TCP}
                endpoints:
                - addresses: ["{{pod}}"]
                  conditions: {ready: true, serving: true, terminating: false}
                """);

            s.WriteFile("routes.yaml", Documents(
                Route("multiport", hostnames: ["multiport.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /web}
                      backendRefs:
                      - {name: multi, port: 80}
                    - matches:
                      - path: {type: PathPrefix, value: /admin}
                      backendRefs:
                      - {name: multi, port: 81}
                    """),
                Route("crlf", hostnames: ["crlf.example"], rules: "- backendRefs:\n  - {name: multi, port: 80}")
                    .Replace("\n", "\r\n", StringComparison.Ordinal)));

            s.WriteFile("beta.yaml", """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: HTTPRoute
                metadata:
                  name: beta
                  namespace: default
                spec:
                  parentRefs:
                  - group: gateway.networking.k8s.io
                    kind: Gateway
                    name: gw
                  hostnames: [beta.example]
                  rules:
                  - backendRefs:
                    - group: ""
                      kind: Service
                      name: multi
                      port: 81
                """);
        }
    }
}
