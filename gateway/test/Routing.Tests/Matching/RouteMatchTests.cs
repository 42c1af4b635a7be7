using Meshway.Routing.Matching;

namespace Meshway.Routing.Tests.Matching;

public sealed class RouteMatchTests
{
    [Fact]
    public void AllConditions_MustHold()
    {
        var match = new RouteMatch(
            PathMatch.Prefix("/api"),
            "POST",
            [ValueMatch.Exact("x-version", "2")],
            [ValueMatch.Exact("debug", "on")]);

        Assert.True(match.IsMatch(new FakeRequest("/api/x", "POST", [("X-Version", "2")], [("debug", "on")])));
        Assert.False(match.IsMatch(new FakeRequest("/api/x", "GET", [("X-Version", "2")], [("debug", "on")])));
        Assert.False(match.IsMatch(new FakeRequest("/api/x", "POST", [("X-Version", "3")], [("debug", "on")])));
        Assert.False(match.IsMatch(new FakeRequest("/api/x", "POST", [("X-Version", "2")], [("Debug", "on")])));
        Assert.False(match.IsMatch(new FakeRequest("/other", "POST", [("X-Version", "2")], [("debug", "on")])));
    }

    [Fact]
    public void HeaderValues_AreCaseSensitive_NamesAreNot()
    {
        var match = new RouteMatch(headers: [ValueMatch.Exact("Env", "Prod")]);

        Assert.True(match.IsMatch(new FakeRequest("/", headers: [("env", "Prod")])));
        Assert.False(match.IsMatch(new FakeRequest("/", headers: [("env", "prod")])));
        Assert.False(match.IsMatch(new FakeRequest("/")));
    }

    [Fact]
    public void RegexHeader_MustMatchTheWholeValue()
    {
        var match = new RouteMatch(headers: [ValueMatch.Regex("x-id", "[0-9]{3}")]);

        Assert.True(match.IsMatch(new FakeRequest("/", headers: [("x-id", "123")])));
        Assert.False(match.IsMatch(new FakeRequest("/", headers: [("x-id", "1234")])));
    }

    [Fact]
    public void NoConditions_MatchesEverything()
    {
        var match = new RouteMatch();

        Assert.True(match.IsMatch(new FakeRequest("/whatever", "DELETE")));
    }
}
