using System.Net;
using System.Text.Json;
using Meshway.DataPlane.Tests.Infrastructure;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using static Meshway.DataPlane.Tests.Infrastructure.Snapshots;

namespace Meshway.DataPlane.Tests.Pipeline;

public sealed class RoutingTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Request_IsRoutedByPath_ToTheMatchingBackend()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("ra", new BackendSet([Backend("default/a:80", a.Port)])), PathMatch.Prefix("/a")),
            Entry(Rule("rb", new BackendSet([Backend("default/b:80", b.Port)])), PathMatch.Exact("/b"))));

        var ra = await gw.GetAsync("/a/x?q=1");
        var rb = await gw.GetAsync("/b");
        var miss = await gw.GetAsync("/bb");

        Assert.Equal(HttpStatusCode.OK, ra.StatusCode);
        Assert.Equal("a", (await JsonAsync(ra)).GetProperty("backend").GetString());
        Assert.Equal("b", (await JsonAsync(rb)).GetProperty("backend").GetString());
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        var seen = Assert.Single(a.Seen);
        Assert.Equal("/a/x", seen.Path);
        Assert.Equal("?q=1", seen.Query);
        Assert.Equal("example.com", seen.Host); // the client's Host is kept
        Assert.Equal("127.0.0.1", seen.Headers["X-Forwarded-For"]);
        Assert.Equal("http", seen.Headers["X-Forwarded-Proto"]);
        Assert.Equal("example.com", seen.Headers["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task Host_SelectsListenerAndRouteTable_UnknownHostIs404()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gw = await GatewayFixture.StartAsync(port => new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Http, [
                Listener("one", "one.example.com", [("one.example.com", [Entry(Rule("r1", new BackendSet([Backend("default/a:80", a.Port)])))])]),
                Listener("wild", "*.example.com", [("*.example.com", [Entry(Rule("r2", new BackendSet([Backend("default/b:80", b.Port)])))])]),
            ])]));

        Assert.Equal("a", (await JsonAsync(await gw.GetAsync("/", "one.example.com"))).GetProperty("backend").GetString());
        Assert.Equal("b", (await JsonAsync(await gw.GetAsync("/", "two.example.com:" + gw.Port))).GetProperty("backend").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await gw.GetAsync("/", "example.org")).StatusCode);
    }

    [Fact]
    public async Task InvalidBackend_Is500_NoEndpoints_Is503_Refused_Is502()
    {
        var closed = Ports.Closed();
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("invalid", new BackendSet([BackendModel.InvalidRef("default/missing:80", 1)])), PathMatch.Prefix("/invalid")),
            Entry(Rule("zero", new BackendSet([Backend("default/a:80", 1) is var m ? new BackendModel(m.Name, 0, m.Endpoints) : null!])), PathMatch.Prefix("/zero")),
            Entry(Rule("empty", new BackendSet([Backend("default/empty:80")])), PathMatch.Prefix("/empty")),
            Entry(Rule("refused", new BackendSet([Backend("default/down:80", closed)])), PathMatch.Prefix("/refused"))));

        Assert.Equal(HttpStatusCode.InternalServerError, (await gw.GetAsync("/invalid")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await gw.GetAsync("/zero")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gw.GetAsync("/empty")).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await gw.GetAsync("/refused")).StatusCode);

        var metrics = gw.Host.Metrics.WritePrometheus();
        Assert.Contains("route=\"default/empty\",backend=\"default/empty:80\",code=\"503\"} 1", metrics);
        Assert.Contains("route=\"default/refused\",backend=\"default/down:80\",code=\"502\"} 1", metrics);
    }

    [Fact]
    public async Task Weights_SplitTraffic_AndInvalidShareGets500()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("split", new BackendSet([
                new BackendModel("default/a:80", 1, [new EndpointModel("127.0.0.1", a.Port)]),
                BackendModel.InvalidRef("default/missing:80", 1),
            ])))));

        var ok = 0;
        var errors = 0;
        for (var i = 0; i < 60; i++)
        {
            var status = (await gw.GetAsync("/")).StatusCode;
            if (status == HttpStatusCode.OK)
            {
                ok++;
            }
            else if (status == HttpStatusCode.InternalServerError)
            {
                errors++;
            }
        }

        Assert.Equal(60, ok + errors);
        Assert.InRange(ok, 10, 50); // 50/50 split; the odds of falling outside are below one in a million
    }

    [Fact]
    public async Task BackendRequestTimeout_Is504()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("backend-timeout", new BackendSet([Backend("default/slow:80", slow.Port)]), backendTimeout: TimeSpan.FromMilliseconds(300)), PathMatch.Prefix("/bt")),
            Entry(Rule("request-timeout", new BackendSet([Backend("default/slow:80", slow.Port)]), requestTimeout: TimeSpan.FromMilliseconds(300)), PathMatch.Prefix("/rt"))));

        var started = DateTime.UtcNow;
        Assert.Equal(HttpStatusCode.GatewayTimeout, (await gw.GetAsync("/bt?delay=3000")).StatusCode);
        Assert.Equal(HttpStatusCode.GatewayTimeout, (await gw.GetAsync("/rt?delay=3000")).StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2.5), "timeouts must cut the wait short");
        Assert.Equal(HttpStatusCode.OK, (await gw.GetAsync("/bt?delay=10")).StatusCode);
    }

    [Fact]
    public async Task Filters_ModifyHeaders_RewriteHostAndPath()
    {
        await using var a = await TestBackend.StartAsync("a");
        var backendFilter = new ResponseHeaderModifierFilter(new HeaderModifier(set: [new("X-From-Backend-Ref", "yes")]));
        var backend = new BackendModel("default/a:80", 1, [new EndpointModel("127.0.0.1", a.Port)],
            filters: [new RequestHeaderModifierFilter(new HeaderModifier(add: [new("X-Backend-Filter", "1")])), backendFilter]);
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("filters", new BackendSet([backend]), [
                new RequestHeaderModifierFilter(new HeaderModifier(set: [new("X-Set", "s")], add: [new("X-Add", "a")], remove: ["X-Drop"])),
                new UrlRewriteFilter("rewritten.example.com", new PathModifier(PathModifierKind.ReplacePrefixMatch, "/new")),
                new ResponseHeaderModifierFilter(new HeaderModifier(set: [new("X-Response", "r")], remove: ["X-Backend"])),
            ]), PathMatch.Prefix("/old"))));

        var request = new HttpRequestMessage(HttpMethod.Get, "/old/page?x=1");
        request.Headers.Host = "example.com";
        request.Headers.Add("X-Drop", "bye");
        request.Headers.Add("X-Add", "orig");
        var response = await gw.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(a.Seen);
        Assert.Equal("/new/page", seen.Path);
        Assert.Equal("?x=1", seen.Query);
        Assert.Equal("rewritten.example.com", seen.Host);
        Assert.Equal("example.com", seen.Headers["X-Forwarded-Host"]);
        Assert.Equal("s", seen.Headers["X-Set"]);
        Assert.Equal("orig,a", seen.Headers["X-Add"]);
        Assert.False(seen.Headers.ContainsKey("X-Drop"));
        Assert.Equal("1", seen.Headers["X-Backend-Filter"]);
        Assert.Equal("r", response.Headers.GetValues("X-Response").Single());
        Assert.Equal("yes", response.Headers.GetValues("X-From-Backend-Ref").Single());
        Assert.False(response.Headers.Contains("X-Backend"));
    }

    [Fact]
    public async Task Redirect_AnswersWithLocation_AndCallsNoBackend()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("redirect", new BackendSet([Backend("default/a:80", a.Port)]), [
                new RequestRedirectFilter("https", "secure.example.com", null, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/v2"), 308),
            ]), PathMatch.Prefix("/v1"))));

        var response = await gw.GetAsync("/v1/items?page=2");

        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
        Assert.Equal("https://secure.example.com/v2/items?page=2", response.Headers.Location!.OriginalString);
        Assert.Empty(a.Seen);
    }

    [Fact]
    public async Task Mirror_GetsACopy_ResponseComesFromTheBackend()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var mirror = await TestBackend.StartAsync("mirror");
        var mirrorBackend = Backend("default/mirror:80", mirror.Port);
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("mirrored", new BackendSet([Backend("default/a:80", a.Port)]), [
                new RequestMirrorFilter(mirrorBackend, 100),
                new RequestMirrorFilter(Backend("default/never:80", Ports.Closed()), 0),
            ]))));

        var request = new HttpRequestMessage(HttpMethod.Post, "/submit") { Content = new StringContent("payload") };
        request.Headers.Host = "example.com";
        var response = await gw.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", response.Headers.GetValues("X-Backend").Single());
        Assert.Equal("payload", Assert.Single(a.Seen).Body);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (mirror.Seen.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var copy = Assert.Single(mirror.Seen);
        Assert.Equal("/submit", copy.Path);
        Assert.Equal("POST", copy.Method);
        Assert.Equal("payload", copy.Body);
        Assert.Equal("example.com", copy.Host);
    }

    [Fact]
    public async Task Mirror_ToADeadBackend_DoesNotAffectTheResponse()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("mirrored", new BackendSet([Backend("default/a:80", a.Port)]), [
                new RequestMirrorFilter(Backend("default/dead:80", Ports.Closed()), 100),
            ]))));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gw.GetAsync("/")).StatusCode);
        }
    }

    [Fact]
    public async Task Http2PriorKnowledgeClient_AndH2cBackend_Work()
    {
        await using var h2 = await TestBackend.StartAsync("h2", h2cOnly: true);
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("h2c", new BackendSet([new BackendModel("default/h2:80", 1, [new EndpointModel("127.0.0.1", h2.Port)], BackendProtocol.H2c)])))));

        var request = new HttpRequestMessage(HttpMethod.Get, "/grpc-like")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "example.com";
        var response = await gw.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", Assert.Single(h2.Seen).Protocol);
    }
}
