using Meshway.Routing.Hosts;

namespace Meshway.Routing.Tests.Hosts;

public sealed class HostnameTableTests
{
    private static readonly HostnameTable<string> Table = new(
    [
        new("foo.example.com", "exact"),
        new("*.example.com", "wildcard"),
        new("*.b.example.com", "deeper-wildcard"),
        new("*", "any"),
    ]);

    [Theory]
    [InlineData("foo.example.com", "exact")]
    [InlineData("FOO.Example.COM", "exact")] // hostnames are case-insensitive
    [InlineData("foo.example.com:8080", "exact")] // the port in Host is ignored
    [InlineData("foo.example.com.", "exact")]
    [InlineData("bar.example.com", "wildcard")]
    [InlineData("x.y.example.com", "wildcard")] // a wildcard covers any number of labels
    [InlineData("x.b.example.com", "deeper-wildcard")] // the longest wildcard wins
    [InlineData("example.com", "any")] // "*.example.com" never matches the apex
    [InlineData("other.org", "any")]
    [InlineData("127.0.0.1:80", "any")]
    [InlineData("[::1]:8080", "any")]
    public void Find_PicksTheMostSpecificEntry(string host, string expected)
    {
        Assert.Equal(expected, Table.Find(host));
    }

    [Fact]
    public void Find_WithoutCatchAll_ReturnsNull()
    {
        var table = new HostnameTable<string>([new("*.example.com", "w")]);

        Assert.Null(table.Find("example.com"));
        Assert.Null(table.Find("elsewhere.net"));
        Assert.Equal("w", table.Find("a.example.com"));
    }

    [Fact]
    public void Entries_ListsEveryKindOfKey()
    {
        var keys = Table.Entries.Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal).ToArray();

        Assert.Equal(["*", "*.b.example.com", "*.example.com", "foo.example.com"], keys);
        Assert.Equal(4, Table.Count);
    }
}
