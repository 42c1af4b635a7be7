using Meshway.Translation.Hostnames;

namespace Meshway.Translation.Tests.Hostnames;

public sealed class HostnameMatchTests
{
    [Theory]
    [InlineData(null, new string[0], new[] { "*" })]
    [InlineData("foo.example.com", new string[0], new[] { "foo.example.com" })]
    [InlineData(null, new[] { "a.example.com", "*.b.com" }, new[] { "a.example.com", "*.b.com" })]
    [InlineData("foo.example.com", new[] { "foo.example.com" }, new[] { "foo.example.com" })]
    [InlineData("foo.example.com", new[] { "*.example.com" }, new[] { "foo.example.com" })]
    [InlineData("*.example.com", new[] { "foo.example.com" }, new[] { "foo.example.com" })]
    [InlineData("*.example.com", new[] { "a.b.example.com" }, new[] { "a.b.example.com" })]
    [InlineData("*.example.com", new[] { "*.foo.example.com" }, new[] { "*.foo.example.com" })]
    [InlineData("*.foo.example.com", new[] { "*.example.com" }, new[] { "*.foo.example.com" })]
    [InlineData("*.example.com", new[] { "*.example.com" }, new[] { "*.example.com" })]
    [InlineData("*.example.com", new[] { "example.com" }, new string[0])]
    [InlineData("example.com", new[] { "*.example.com" }, new string[0])]
    [InlineData("foo.example.com", new[] { "bar.example.com" }, new string[0])]
    [InlineData("*.example.com", new[] { "*.example.org", "x.example.com", "X.Example.com" }, new[] { "x.example.com" })]
    public void Intersect_FollowsTheSpec(string? listener, string[] route, string[] expected)
    {
        var actual = HostnameMatch.Intersect(listener, route).Select(e => e.Hostname);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Intersect_RemembersTheRouteHostnameThatMatched()
    {
        var result = HostnameMatch.Intersect("foo.example.com", ["*.example.com"]);

        Assert.Equal(new HostnameMatch.Effective("foo.example.com", "*.example.com"), Assert.Single(result));
        Assert.Null(Assert.Single(HostnameMatch.Intersect("foo.example.com", [])).RouteHostname);
    }

    [Theory]
    [InlineData("*", "anything.example.com", true)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "*.a.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "aexample.com", false)]
    [InlineData("a.example.com", "*.example.com", false)]
    [InlineData("a.example.com", "A.EXAMPLE.COM", true)]
    public void Covers_WildcardsNeverMatchTheApex(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, HostnameMatch.Covers(pattern, name));
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("*.example.com", true)]
    [InlineData("a-b.c1.example", true)]
    [InlineData("", false)]
    [InlineData("*", false)]
    [InlineData("a.*.com", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("Upper.example.com", false)]
    [InlineData("-bad.example.com", false)]
    [InlineData("double..dot", false)]
    [InlineData("under_score.com", false)]
    public void IsValid_AcceptsDnsNamesAndLeadingWildcardOnly(string hostname, bool expected)
    {
        Assert.Equal(expected, HostnameMatch.IsValid(hostname));
    }
}
