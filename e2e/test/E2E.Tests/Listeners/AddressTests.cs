using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Listeners;

/// <summary>
/// Where listeners bind, and manifests in the minimal shape people write by hand (no namespaces, no
/// addresses, unnamed ports, backends on 127.0.0.1): what `meshway run` must handle for any directory.
/// </summary>
public sealed class AddressTests(ITestOutputHelper output) : StandaloneScenarios(output)
{
    [Fact]
    public async Task Minimal_manifests_without_addresses_serve_on_the_bind_address()
    {
        var s = NewScenario("minimal");
        var echo = await s.StartEchoAsync("echo-local", "default", ["127.0.0.1"]);
        var port = s.FreePort();
        s.WriteFile("all.yaml", $$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata:
              name: meshway
            spec:
              controllerName: meshway.dev/gateway-controller
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: gw
            spec:
              gatewayClassName: meshway
              listeners:
              - name: http
                port: {{port}}
                protocol: HTTP
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - port: 80
                targetPort: {{echo.Port}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-1
              labels:
                kubernetes.io/service-name: web
            addressType: IPv4
            ports:
            - port: {{echo.Port}}
            endpoints:
            - addresses: ["127.0.0.1"]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: web
            spec:
              parentRefs:
              - name: gw
              rules:
              - backendRefs:
                - name: web
                  port: 80
            """);

        await s.StartGatewayAsync("--bind", s.GatewayAddress);

        var reply = await s.Client.SendAsync("anything.example", port, "/hello?x=1");
        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-local", reply.Echoed.Backend);
        Assert.Equal("/hello", reply.Echoed.Path);
        var curl = await Curl.RunAsync(s.GatewayAddress, "anything.example", port, "/curl");
        Assert.Equal(200, curl.Status);

        // Bound to the --bind address only, not to every address.
        using var elsewhere = new GatewayClient("127.0.0.1");
        var error = await Record.ExceptionAsync(() => elsewhere.SendAsync("anything.example", port, "/"));
        Assert.IsType<HttpRequestException>(error);
        var status = await s.Gateway.StatusAsync();
        Assert.Equal("True", status.RouteParentCondition("default", "web", "gw", "Accepted")?.Status);
        Assert.Equal("True", status.RouteParentCondition("default", "web", "gw", "ResolvedRefs")?.Status);
    }

    [Fact]
    public async Task Without_addresses_or_bind_flag_listeners_bind_every_address()
    {
        var s = NewScenario("bind-all");
        var echo = await s.StartEchoAsync("echo-a");
        var port = Loopback.FreePort("0.0.0.0");
        s.WriteFile("all.yaml", Documents(
            GatewayClass,
            Gateway("default", "gw", "unused", Listener("http", port)).Replace("  addresses:\n  - type: IPAddress\n    value: unused\n", string.Empty, StringComparison.Ordinal),
            echo.ServiceYaml(),
            Route("r", rules: "- backendRefs:\n  - {name: echo-a, port: 8080}")));

        await s.StartGatewayAsync();

        foreach (var address in new[] { "127.0.0.1", s.GatewayAddress })
        {
            using var client = new GatewayClient(address);
            var reply = await client.SendAsync("any.example", port, "/");
            Assert.Equal(200, reply.Status);
            Assert.Equal("echo-a", reply.Echoed.Backend);
        }
    }

    [Fact]
    public async Task Two_gateways_share_a_port_on_distinct_addresses()
    {
        var s = NewScenario("shared-port");
        var a = await s.StartEchoAsync("echo-a");
        var b = await s.StartEchoAsync("echo-b");
        var second = s.ExtraGatewayAddress(2);
        var port = s.FreePort();
        s.WriteFile("all.yaml", Documents(
            GatewayClass,
            Gateway("default", "gw-one", s.GatewayAddress, Listener("http", port)),
            Gateway("default", "gw-two", second, Listener("http", port)),
            a.ServiceYaml(),
            b.ServiceYaml(),
            Route("one", parentRefs: "- name: gw-one", rules: "- backendRefs:\n  - {name: echo-a, port: 8080}"),
            Route("two", parentRefs: "- name: gw-two", rules: "- backendRefs:\n  - {name: echo-b, port: 8080}")));

        await s.StartGatewayAsync();

        using var secondClient = new GatewayClient(second);
        Assert.Equal("echo-a", (await s.Client.SendAsync("any.example", port, "/")).Echoed.Backend);
        Assert.Equal("echo-b", (await secondClient.SendAsync("any.example", port, "/")).Echoed.Backend);
        var status = await s.Gateway.StatusAsync();
        Assert.Equal("True", status.GatewayCondition("default", "gw-one", "Programmed")?.Status);
        Assert.Equal("True", status.GatewayCondition("default", "gw-two", "Programmed")?.Status);
    }
}
