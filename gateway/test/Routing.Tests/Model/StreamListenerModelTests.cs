using Meshway.Routing.Backends;
using Meshway.Routing.Hosts;
using Meshway.Routing.Model;

namespace Meshway.Routing.Tests.Model;

public sealed class StreamListenerModelTests
{
    private static StreamRoute Route(string name) =>
        new(new RouteRef("TLSRoute", "apps", name), new BackendSet([new BackendModel("apps/" + name + ":443", 1, [new EndpointModel("127.0.0.1", 8443)])]));

    [Fact]
    public void Find_OnATlsListener_PicksTheMostSpecificSniEntry()
    {
        var exact = Route("exact");
        var wildcard = Route("wildcard");
        var model = new StreamListenerModel(StreamMode.TlsPassthrough, new HostnameTable<StreamRoute>(
        [
            new("db.example.com", exact),
            new("*.example.com", wildcard),
        ]));

        Assert.Same(exact, model.Find("db.example.com"));
        Assert.Same(exact, model.Find("DB.Example.com"));
        Assert.Same(wildcard, model.Find("cache.example.com"));
        Assert.Null(model.Find("example.com"));
        Assert.Null(model.Find(""));
    }

    [Fact]
    public void Find_OnATcpListener_IgnoresTheNameAndReturnsItsRoute()
    {
        var tcp = Route("tcp");
        var model = new StreamListenerModel(StreamMode.Tcp, HostnameTable<StreamRoute>.Empty, tcp);

        Assert.Same(tcp, model.Find(""));
        Assert.Same(tcp, model.Find("anything.example.com"));
    }
}
