using Meshway.DataPlane.Filters;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;

namespace Meshway.DataPlane.Tests.Filters;

public sealed class RedirectBuilderTests
{
    private static string Build(RequestRedirectFilter f, string scheme = "http", string host = "example.com", int listenerPort = 80,
        string path = "/a/b", string query = "", PathMatch? matched = null) =>
        RedirectBuilder.BuildLocation(f, scheme, host, listenerPort, path, query, matched ?? PathMatch.Default);

    [Fact]
    public void Hostname_Only_KeepsSchemePathAndQuery_OmitsPort80()
    {
        var f = new RequestRedirectFilter(null, "other.example.org", null, null, 302);
        Assert.Equal("http://other.example.org/a/b?x=1", Build(f, query: "?x=1"));
    }

    [Fact]
    public void NoSchemeNoPort_UsesListenerPort_WhenNotWellKnown()
    {
        var f = new RequestRedirectFilter(null, "other.example.org", null, null, 302);
        Assert.Equal("http://other.example.org:8080/a/b", Build(f, host: "example.com:8080", listenerPort: 8080));
    }

    [Fact]
    public void SchemeChange_WithoutPort_UsesWellKnownPortAndOmitsIt()
    {
        var f = new RequestRedirectFilter("https", null, null, null, 301);
        Assert.Equal("https://example.com/a/b", Build(f, host: "example.com:8080", listenerPort: 8080));
    }

    [Fact]
    public void SchemeChangeToHttp_FromHttpsListener_Omits80()
    {
        var f = new RequestRedirectFilter("http", null, null, null, 301);
        Assert.Equal("http://example.com/a/b", Build(f, scheme: "https", listenerPort: 443));
    }

    [Fact]
    public void ExplicitPort_IsShown_UnlessWellKnownForScheme()
    {
        Assert.Equal("http://example.com:8443/a/b", Build(new RequestRedirectFilter(null, null, 8443, null, 302)));
        Assert.Equal("https://example.com/a/b", Build(new RequestRedirectFilter("https", null, 443, null, 302)));
        Assert.Equal("https://example.com:8443/a/b", Build(new RequestRedirectFilter("https", null, 8443, null, 302)));
    }

    [Fact]
    public void ReplaceFullPath_ReplacesWholePath_KeepsQuery()
    {
        var f = new RequestRedirectFilter(null, null, null, new PathModifier(PathModifierKind.ReplaceFullPath, "/new"), 302);
        Assert.Equal("http://example.com/new?q=v", Build(f, query: "?q=v"));
    }

    [Fact]
    public void ReplacePrefixMatch_ReplacesMatchedPrefixOnly()
    {
        var f = new RequestRedirectFilter(null, null, null, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/v2"), 307);
        Assert.Equal("http://example.com/v2/users/7", Build(f, path: "/v1/users/7", matched: PathMatch.Prefix("/v1")));
    }

    [Fact]
    public void Ipv6Host_KeepsBrackets()
    {
        var f = new RequestRedirectFilter(null, null, 8080, null, 302);
        Assert.Equal("http://[::1]:8080/a/b", Build(f, host: "[::1]:80"));
    }
}
