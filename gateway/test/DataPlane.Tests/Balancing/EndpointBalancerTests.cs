using Meshway.DataPlane.Balancing;
using Meshway.Routing.Backends;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Tests.Balancing;

public sealed class EndpointBalancerTests
{
    private static BackendModel Backend(int count) =>
        new("default/svc:80", 1, [.. Enumerable.Range(0, count).Select(i => new EndpointModel("10.0.0." + (i + 1), 8080))]);

    [Fact]
    public void Choose_NoEndpoints_ReturnsNull()
    {
        Assert.Null(new EndpointBalancer().Choose(Backend(0)));
    }

    [Fact]
    public void Choose_PrefersTheLessLoadedOfTwo()
    {
        var balancer = new EndpointBalancer();
        var backend = Backend(2);
        var busy = balancer.GetState(backend.Endpoints[0]);
        busy.Begin();
        busy.Begin();

        // With two endpoints both are always sampled, so the idle one must win every time.
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("10.0.0.2:8080", balancer.Choose(backend, new Random(i))!.Endpoint.Key);
        }
    }

    [Fact]
    public void Choose_NeverPicksTheMostLoadedOfMany()
    {
        var balancer = new EndpointBalancer();
        var backend = Backend(5);
        var hot = balancer.GetState(backend.Endpoints[3]);
        for (var i = 0; i < 10; i++)
        {
            hot.Begin();
        }

        var seen = new HashSet<string>();
        for (var i = 0; i < 500; i++)
        {
            var chosen = balancer.Choose(backend, new Random(i))!;
            Assert.NotSame(hot, chosen);
            seen.Add(chosen.Endpoint.Key);
        }

        Assert.Equal(4, seen.Count); // the rest still share the load
    }

    [Fact]
    public void State_SurvivesSnapshots_AndIdleRemovedEndpointsAreForgotten()
    {
        var balancer = new EndpointBalancer();
        var a = new EndpointModel("10.0.0.1", 80);
        var b = new EndpointModel("10.0.0.2", 80);
        var stateA = balancer.GetState(a);
        stateA.Begin();
        balancer.GetState(b);

        balancer.Retain(RoutingSnapshot.Empty);

        // a has a request in flight: kept (same object); b was idle: forgotten.
        Assert.Same(stateA, balancer.GetState(new EndpointModel("10.0.0.1", 80)));
        Assert.Equal(1, balancer.TrackedCount);
    }
}
