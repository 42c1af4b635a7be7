using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Meshway.Admin;
using Meshway.Config;
using Meshway.DataPlane;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation;
using Meshway.Translation.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Tests.Admin;

public sealed class AdminAndApplierTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A gateway socket whose one rule redirects to /moved (no backend needed to observe it serving).</summary>
    private static RoutingSnapshot RedirectSnapshot(int port, string target)
    {
        var rule = new RouteRuleModel(new RouteRef("HTTPRoute", "default", "r"), 0, null,
            [new RequestRedirectFilter(null, null, null, new PathModifier(PathModifierKind.ReplaceFullPath, target), 302)], BackendSet.Empty);
        var hosts = new HostnameTable<RouteTable>([new("*", new RouteTable([new RouteEntry(new RouteMatch(), rule, DateTimeOffset.UnixEpoch, 0)]))]);
        return new RoutingSnapshot([new PortBinding("127.0.0.1", port, ListenerProtocol.Http, [new ListenerModel("default", "gw", "http", null, hosts)])]);
    }

    private static StatusReport Status(string reason) => new([
        new ObjectStatus("gateway.networking.k8s.io/v1", "Gateway", "default", "gw", 3, new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Accepted", ["status"] = "True", ["reason"] = reason }),
            ["listeners"] = new JsonArray(new JsonObject
            {
                ["name"] = "http",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Programmed", ["status"] = "True", ["reason"] = "Programmed" }),
            }),
        }),
    ]);

    [Fact]
    public async Task Admin_ServesReadyStatusConfigDumpMetrics_AcrossAppliesAndATranslationBug()
    {
        var gatewayPort = FreePort();
        var adminPort = FreePort();
        await using var host = DataPlaneHost.Create(NullLoggerFactory.Instance);
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Func<ResourceSet, TranslationResult> translate = _ => new TranslationResult(RedirectSnapshot(gatewayPort, "/first"), Status("Accepted"));
        var applier = new ConfigApplier(host, set => translate(set), NullLogger.Instance, () => now);
        await using var admin = await AdminServer.StartAsync(adminPort, host, applier, NullLoggerFactory.Instance, CancellationToken.None);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri("http://127.0.0.1:" + adminPort) };

        // Nothing applied yet.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/ready")).StatusCode);

        await applier.ApplyAsync([], CancellationToken.None);
        var ready = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadAsStringAsync()).Trim());
        Assert.Equal("/first", (await client.GetAsync("http://127.0.0.1:" + gatewayPort + "/x")).Headers.Location!.AbsolutePath);

        var status = JsonNode.Parse(await client.GetStringAsync("/status"))!;
        var item = status["items"]![0]!;
        Assert.Equal("Gateway", item["kind"]!.GetValue<string>());
        Assert.Equal(3, item["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("2026-01-02T03:04:05Z", item["status"]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05Z", item["status"]!["listeners"]![0]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());

        // Same conditions later: their times stay. A changed reason gets the new time.
        now = now.AddMinutes(5);
        translate = _ => new TranslationResult(RedirectSnapshot(gatewayPort, "/second"), Status("Reconfigured"));
        await applier.ApplyAsync([], CancellationToken.None);
        item = JsonNode.Parse(await client.GetStringAsync("/status"))!["items"]![0]!;
        Assert.Equal("2026-01-02T03:09:05Z", item["status"]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05Z", item["status"]!["listeners"]![0]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());

        // A translation bug: counted, logged, and the last good snapshot keeps serving.
        translate = _ => throw new InvalidOperationException("bug");
        await applier.ApplyAsync([], CancellationToken.None);
        Assert.Equal("/second", (await client.GetAsync("http://127.0.0.1:" + gatewayPort + "/x")).Headers.Location!.AbsolutePath);

        var dump = JsonNode.Parse(await client.GetStringAsync("/config_dump"))!;
        Assert.Equal(2, dump["generation"]!.GetValue<long>());
        Assert.Equal(gatewayPort, dump["bindings"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("default/gw", dump["bindings"]![0]!["listeners"]![0]!["gateway"]!.GetValue<string>());

        var metrics = await client.GetAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("meshway_config_reloads_total 2\n", text);
        Assert.Contains("meshway_config_reload_failures_total 1\n", text);
        Assert.Contains("meshway_requests_total{gateway=\"default/gw\",route=\"default/r\",backend=\"\",code=\"302\"} 2\n", text);
    }
}
