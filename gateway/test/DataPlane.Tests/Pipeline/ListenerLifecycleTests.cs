using System.Net;
using System.Net.Sockets;
using Meshway.DataPlane.Listeners;
using Meshway.DataPlane.Tests.Infrastructure;
using Meshway.Routing.Backends;
using Meshway.Routing.Model;
using static Meshway.DataPlane.Tests.Infrastructure.Snapshots;

namespace Meshway.DataPlane.Tests.Pipeline;

public sealed class ListenerLifecycleTests
{
    private static PortBinding Binding(int port, int backendPort, string route = "r") =>
        new("127.0.0.1", port, ListenerProtocol.Http,
            [Listener("http", null, [("*", [Entry(Rule(route, new BackendSet([Backend("default/" + route + ":80", backendPort)])))])])]);

    [Fact]
    public async Task SnapshotSwap_WhileRequestsAreInFlight_LosesNone()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var port = Ports.Free();
        var toA = new RoutingSnapshot([Binding(port, a.Port, "to-a")]);
        var toB = new RoutingSnapshot([Binding(port, b.Port, "to-b")]);
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(toA);

        using var client = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:" + port) };
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var total = 0;
        var load = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync("/work?delay=15");
                Interlocked.Increment(ref total);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(25);
            await host.ApplyAsync(i % 2 == 0 ? toB : toA);
        }

        stop.Cancel();
        await Task.WhenAll(load);

        Assert.Equal(0, failures);
        Assert.True(total > 50, "the load loop must actually have run: " + total);
        Assert.NotEmpty(a.Seen);
        Assert.NotEmpty(b.Seen);
        Assert.Single(host.Listeners.ActiveBindings); // same socket kept across swaps
    }

    [Fact]
    public async Task RemovedBinding_DrainsInFlightRequest_ThenRefusesConnections()
    {
        await using var a = await TestBackend.StartAsync("a");
        var keep = Ports.Free();
        var drop = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([Binding(keep, a.Port), Binding(drop, a.Port)]));
        using var client = new HttpClient();

        var slow = client.GetAsync("http://127.0.0.1:" + drop + "/slow?delay=600");
        await WaitUntil(() => a.Seen.Any(s => s.Path == "/slow"));
        await host.ApplyAsync(new RoutingSnapshot([Binding(keep, a.Port)]));

        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        Assert.Equal(["127.0.0.1:" + keep], host.Listeners.ActiveBindings);
        await Assert.ThrowsAsync<HttpRequestException>(() => new HttpClient().GetAsync("http://127.0.0.1:" + drop + "/"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://127.0.0.1:" + keep + "/")).StatusCode);
    }

    [Fact]
    public async Task PortInUse_IsReported_AndOtherBindingsServe()
    {
        await using var a = await TestBackend.StartAsync("a");
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var free = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        var events = new List<ListenerBindFailure>();
        host.Listeners.BindFailed += events.Add;

        await host.ApplyAsync(new RoutingSnapshot([Binding(busy, a.Port), Binding(free, a.Port)]));

        var failure = Assert.Single(events);
        Assert.Equal("127.0.0.1:" + busy, failure.BindingKey);
        Assert.Contains("127.0.0.1:" + busy, host.Listeners.FailedBindings.Keys);
        Assert.Contains("meshway_listener_bind_failures_total{binding=\"127.0.0.1:" + busy + "\"} 1", host.Metrics.WritePrometheus());
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://127.0.0.1:" + free + "/")).StatusCode);

        // Once the port is free, the next reconcile opens it.
        squatter.Stop();
        await host.ApplyAsync(new RoutingSnapshot([Binding(busy, a.Port), Binding(free, a.Port)]));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://127.0.0.1:" + busy + "/")).StatusCode);
    }

    [Fact]
    public async Task ActiveConnections_AreCounted()
    {
        await using var a = await TestBackend.StartAsync("a");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([Binding(port, a.Port)]));

        using (var client = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://127.0.0.1:" + port + "/")).StatusCode);
            Assert.Equal(1, host.Metrics.ActiveConnections);
        }

        await WaitUntil(() => host.Metrics.ActiveConnections == 0);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
