using System.Text.Json.Nodes;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Tests.ApiServer;
using Meshway.Kubernetes.Tests.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Controller.Tests;

/// <summary>
/// TLSRoute status in Kubernetes mode, against the in-test API server, which serves TLSRoute but not TCPRoute
/// (as a cluster without the TCPRoute CRD): the controller must still sync and write status.
/// </summary>
public sealed class StreamRouteStatusTests : IAsyncLifetime
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;
    private GatewayController? _controller;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task TlsRoute_GetsParentStatus_EvenWithoutTheTcpRouteCrd()
    {
        _server.Apply($$$"""{"apiVersion":"{{{Gw}}}","kind":"GatewayClass","metadata":{"name":"meshway"},"spec":{"controllerName":"meshway.dev/gateway-controller"}}""");
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"Gateway","metadata":{"name":"edge","namespace":"infra","annotations":{"meshway.dev/service-type":"ClusterIP"}},
             "spec":{"gatewayClassName":"meshway",
                     "listeners":[{"name":"tls","port":8443,"protocol":"TLS","tls":{"mode":"Passthrough"},"allowedRoutes":{"namespaces":{"from":"All"} } }]}}
            """);
        _server.Apply($$$"""
            {"apiVersion":"{{{Gw}}}","kind":"TLSRoute","metadata":{"name":"db","namespace":"apps"},
             "spec":{"parentRefs":[{"name":"edge","namespace":"infra"}],"hostnames":["db.example.com"],
                     "rules":[{"backendRefs":[{"name":"db","port":5432}]}]}}
            """);
        _server.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"db","namespace":"apps"},"spec":{"ports":[{"port":5432}]}}""");

        _controller = new GatewayController(_client, new ControllerOptions
        {
            Identity = "c1",
            LeaseNamespace = "meshway-system",
            Debounce = TimeSpan.FromMilliseconds(20),
        }, NullLoggerFactory.Instance);
        _controller.Start(CancellationToken.None);

        await Wait.UntilAsync(() => _server.Get(Gw, "TLSRoute", "apps", "db")?["status"]?["parents"] is JsonArray { Count: 1 }, "TLSRoute status");
        var parent = _server.Get(Gw, "TLSRoute", "apps", "db")!["status"]!["parents"]![0]!;
        Assert.Equal("meshway.dev/gateway-controller", parent["controllerName"]!.GetValue<string>());
        var accepted = parent["conditions"]!.AsArray().OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == "Accepted");
        Assert.Equal("True", accepted["status"]!.GetValue<string>());

        var listener = _server.Get(Gw, "Gateway", "infra", "edge")!["status"]!["listeners"]![0]!;
        Assert.Equal("TLSRoute", listener["supportedKinds"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(1, listener["attachedRoutes"]!.GetValue<int>());
        Assert.Contains(_server.Requests, r => r.Contains("/tcproutes", StringComparison.Ordinal));
    }
}
