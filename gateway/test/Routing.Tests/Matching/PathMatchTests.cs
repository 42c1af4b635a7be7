using Meshway.Routing.Matching;

namespace Meshway.Routing.Tests.Matching;

public sealed class PathMatchTests
{
    [Theory]
    [InlineData("/abc", "/abc", true)]
    [InlineData("/abc", "/abc/", true)]
    [InlineData("/abc", "/abc/def", true)]
    [InlineData("/abc", "/abcd", false)]
    [InlineData("/abc/", "/abc", true)] // a trailing slash in the prefix is ignored
    [InlineData("/abc/", "/abc/def", true)]
    [InlineData("/abc/", "/abcdef", false)]
    [InlineData("/", "/anything/at/all", true)]
    [InlineData("/", "/", true)]
    [InlineData("/v2", "/v1/v2", false)]
    [InlineData("/Abc", "/abc", false)] // paths are case-sensitive
    public void Prefix_MatchesWholePathElements(string prefix, string path, bool expected)
    {
        Assert.Equal(expected, PathMatch.Prefix(prefix).IsMatch(path));
    }

    [Theory]
    [InlineData("/one", "/one", true)]
    [InlineData("/one", "/one/", false)]
    [InlineData("/one", "/one/two", false)]
    [InlineData("/one", "/ONE", false)]
    public void Exact_MatchesOnlyTheSamePath(string value, string path, bool expected)
    {
        Assert.Equal(expected, PathMatch.Exact(value).IsMatch(path));
    }

    [Theory]
    [InlineData("/v[0-9]+/users", "/v12/users", true)]
    [InlineData("/v[0-9]+/users", "/v12/users/7", false)] // the whole path must match
    [InlineData("/v[0-9]+/users", "/x/v1/users", false)]
    [InlineData(".*/info", "/any/info", true)]
    public void Regex_MustMatchTheWholePath(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, PathMatch.Regex(pattern).IsMatch(path));
    }

    [Theory]
    [InlineData("(")]
    [InlineData("[a-")]
    [InlineData("")]
    public void Regex_InvalidPattern_Throws(string pattern)
    {
        Assert.ThrowsAny<ArgumentException>(() => PathMatch.Regex(pattern));
    }

    [Fact]
    public void Regex_CatastrophicBacktracking_IsANonMatchNotAHang()
    {
        var match = PathMatch.Regex("(a+)+b");
        var hostile = "/" + new string('a', 5000) + "c";

        Assert.False(match.IsMatch(hostile));
    }

    [Fact]
    public void Prefix_NormalizedPrefix_DropsTrailingSlash()
    {
        Assert.Equal("/abc", PathMatch.Prefix("/abc/").NormalizedPrefix);
        Assert.Equal("", PathMatch.Prefix("/").NormalizedPrefix);
    }
}
