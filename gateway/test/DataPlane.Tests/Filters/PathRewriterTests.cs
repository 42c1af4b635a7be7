using Meshway.DataPlane.Filters;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;

namespace Meshway.DataPlane.Tests.Filters;

public sealed class PathRewriterTests
{
    [Theory]
    [InlineData("/prefix", "/one", "/prefix/two", "/one/two")]
    [InlineData("/prefix", "/one", "/prefix", "/one")]
    [InlineData("/prefix/", "/one", "/prefix/two", "/one/two")]
    [InlineData("/strip", "/", "/strip/three", "/three")]
    [InlineData("/strip", "/", "/strip", "/")]
    [InlineData("/strip", "/", "/strip/", "/")]
    [InlineData("/a", "/b/", "/a/c", "/b/c")]
    [InlineData("/", "/api", "/x/y", "/api/x/y")]
    public void ReplacePrefixMatch_JoinsWithOneSlash(string prefix, string replacement, string path, string expected)
    {
        var modifier = new PathModifier(PathModifierKind.ReplacePrefixMatch, replacement);
        Assert.Equal(expected, PathRewriter.Apply(modifier, path, PathMatch.Prefix(prefix)));
    }

    [Fact]
    public void ReplaceFullPath_IgnoresMatchedPrefix()
    {
        var modifier = new PathModifier(PathModifierKind.ReplaceFullPath, "/full");
        Assert.Equal("/full", PathRewriter.Apply(modifier, "/prefix/deep/path", PathMatch.Prefix("/prefix")));
    }
}
