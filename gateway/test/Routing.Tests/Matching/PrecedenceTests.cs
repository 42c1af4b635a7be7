using Meshway.Routing.Backends;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.Routing.Tests.Matching;

public sealed class PrecedenceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RouteEntry Entry(
        RouteMatch match,
        string name = "r",
        string ns = "default",
        DateTimeOffset? created = null,
        int rule = 0,
        int matchIndex = 0,
        int hostnamePriority = 0) =>
        new(match, new RouteRuleModel(new RouteRef("HTTPRoute", ns, name), rule, null, [], BackendSet.Empty), created ?? T0, matchIndex, hostnamePriority);

    private static string Winner(FakeRequest request, params RouteEntry[] entries)
    {
        var hit = new RouteTable(entries).Match(request);
        Assert.NotNull(hit);
        return hit.Rule.Route.Name + "#" + hit.Rule.RuleIndex + "." + hit.MatchIndex;
    }

    [Fact]
    public void Grpc_ServiceWideMatch_BeatsMethodOnlyMatch()
    {
        // As path matches, the method-only regex would outrank the service prefix; GRPCRoute precedence
        // counts service characters first.
        var winner = Winner(
            new FakeRequest("/echo.Echo/Stream"),
            Entry(new RouteMatch(PathMatch.Regex("/[^/]+/Stream"), grpc: new GrpcMethodSpecificity(0, 6)), "method"),
            Entry(new RouteMatch(PathMatch.Prefix("/echo.Echo/"), grpc: new GrpcMethodSpecificity(9, 0)), "service"));

        Assert.Equal("service#0.0", winner);
    }

    [Fact]
    public void Grpc_SameServiceAndMethod_MoreHeaderMatchesWin()
    {
        var winner = Winner(
            new FakeRequest("/echo.Echo/Unary", headers: [("x-tenant", "blue")]),
            Entry(new RouteMatch(PathMatch.Exact("/echo.Echo/Unary"), grpc: new GrpcMethodSpecificity(9, 5)), "plain"),
            Entry(new RouteMatch(PathMatch.Exact("/echo.Echo/Unary"), headers: [ValueMatch.Exact("x-tenant", "blue")],
                grpc: new GrpcMethodSpecificity(9, 5)), "header"));

        Assert.Equal("header#0.0", winner);
    }

    [Fact]
    public void Exact_BeatsPrefix_EvenALongerOne()
    {
        var winner = Winner(
            new FakeRequest("/a"),
            Entry(new RouteMatch(PathMatch.Prefix("/a")), "prefix"),
            Entry(new RouteMatch(PathMatch.Exact("/a")), "exact"));

        Assert.Equal("exact#0.0", winner);
    }

    [Fact]
    public void LongerPrefix_Wins()
    {
        var winner = Winner(
            new FakeRequest("/a/b/c"),
            Entry(new RouteMatch(PathMatch.Prefix("/a")), "short"),
            Entry(new RouteMatch(PathMatch.Prefix("/a/b")), "long"));

        Assert.Equal("long#0.0", winner);
    }

    [Fact]
    public void Method_BeatsHeaders_WhenPathsTie()
    {
        var winner = Winner(
            new FakeRequest("/", "GET", [("a", "1"), ("b", "2")]),
            Entry(new RouteMatch(headers: [ValueMatch.Exact("a", "1"), ValueMatch.Exact("b", "2")]), "headers"),
            Entry(new RouteMatch(method: "GET"), "method"));

        Assert.Equal("method#0.0", winner);
    }

    [Fact]
    public void MoreHeaders_BeatMoreQueryParameters()
    {
        var winner = Winner(
            new FakeRequest("/", headers: [("a", "1")], query: [("q", "1"), ("r", "2")]),
            Entry(new RouteMatch(queryParameters: [ValueMatch.Exact("q", "1"), ValueMatch.Exact("r", "2")]), "query"),
            Entry(new RouteMatch(headers: [ValueMatch.Exact("a", "1")]), "header"));

        Assert.Equal("header#0.0", winner);
    }

    [Fact]
    public void MoreQueryParameters_Win_WhenAllElseTies()
    {
        var winner = Winner(
            new FakeRequest("/", query: [("q", "1"), ("r", "2")]),
            Entry(new RouteMatch(queryParameters: [ValueMatch.Exact("q", "1")]), "one"),
            Entry(new RouteMatch(queryParameters: [ValueMatch.Exact("q", "1"), ValueMatch.Exact("r", "2")]), "two"));

        Assert.Equal("two#0.0", winner);
    }

    [Fact]
    public void Tie_OldestRouteWins()
    {
        var winner = Winner(
            new FakeRequest("/x"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "aaa-newer", created: T0.AddSeconds(1)),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "zzz-older", created: T0));

        Assert.Equal("zzz-older#0.0", winner);
    }

    [Fact]
    public void Tie_SameAge_NamespaceThenNameAlphabetical()
    {
        var byNamespace = Winner(
            new FakeRequest("/x"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "a", ns: "zeta"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "z", ns: "alpha"));
        var byName = Winner(
            new FakeRequest("/x"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "beta"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), "alpha"));

        Assert.Equal("z#0.0", byNamespace);
        Assert.Equal("alpha#0.0", byName);
    }

    [Fact]
    public void Tie_SameRoute_FirstRuleThenFirstMatch()
    {
        var winner = Winner(
            new FakeRequest("/x"),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), rule: 1),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), rule: 0, matchIndex: 1),
            Entry(new RouteMatch(PathMatch.Prefix("/x")), rule: 0, matchIndex: 2));

        Assert.Equal("r#0.1", winner);
    }

    [Fact]
    public void Regex_SitsBetweenExactAndPrefix()
    {
        var entries = new[]
        {
            Entry(new RouteMatch(PathMatch.Prefix("/v1/items")), "prefix"),
            Entry(new RouteMatch(PathMatch.Regex("/v1/.*")), "regex"),
            Entry(new RouteMatch(PathMatch.Exact("/v1/items")), "exact"),
        };

        Assert.Equal("exact#0.0", Winner(new FakeRequest("/v1/items"), entries));
        Assert.Equal("regex#0.0", Winner(new FakeRequest("/v1/items/7"), entries));
    }

    [Fact]
    public void HostnamePriority_ComesBeforePath()
    {
        var exactHost = RouteEntry.HostnamePriorityOf("foo.example.com");
        var wildcardHost = RouteEntry.HostnamePriorityOf("*.example.com");

        var winner = Winner(
            new FakeRequest("/a/b"),
            Entry(new RouteMatch(PathMatch.Exact("/a/b")), "wildcard", hostnamePriority: wildcardHost),
            Entry(new RouteMatch(PathMatch.Prefix("/")), "exact-host", hostnamePriority: exactHost));

        Assert.Equal("exact-host#0.0", winner);
    }

    [Fact]
    public void HostnamePriorityOf_OrdersExactAboveWildcardAndLongerFirst()
    {
        Assert.True(RouteEntry.HostnamePriorityOf("a.io") > RouteEntry.HostnamePriorityOf("*.very.long.example.com"));
        Assert.True(RouteEntry.HostnamePriorityOf("*.b.example.com") > RouteEntry.HostnamePriorityOf("*.example.com"));
        Assert.True(RouteEntry.HostnamePriorityOf("*.example.com") > RouteEntry.HostnamePriorityOf(null));
        Assert.Equal(0, RouteEntry.HostnamePriorityOf("*"));
    }

    [Fact]
    public void NoMatch_ReturnsNull()
    {
        var table = new RouteTable([Entry(new RouteMatch(PathMatch.Exact("/only")))]);

        Assert.Null(table.Match(new FakeRequest("/other")));
        Assert.Null(RouteTable.Empty.Match(new FakeRequest("/")));
    }
}
