using Meshway.Routing.Backends;

namespace Meshway.Routing.Tests.Backends;

public sealed class BackendSetTests
{
    private static BackendModel Backend(string name, int weight) => new(name, weight, [new EndpointModel("127.0.0.1", 1)]);

    [Fact]
    public void Pick_FollowsWeights()
    {
        var set = new BackendSet([Backend("a", 1), Backend("b", 3)]);
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        for (var i = 0; i < 400; i++)
        {
            counts[set.Pick(i / 400.0)!.Name]++;
        }

        Assert.Equal(100, counts["a"]);
        Assert.Equal(300, counts["b"]);
    }

    [Fact]
    public void Pick_NeverChoosesWeightZero()
    {
        var set = new BackendSet([Backend("zero", 0), Backend("one", 1), Backend("zero2", 0)]);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("one", set.Pick(i / 100.0)!.Name);
        }
    }

    [Fact]
    public void Pick_AllZeroOrEmpty_ReturnsNull()
    {
        Assert.Null(new BackendSet([Backend("a", 0), Backend("b", 0)]).Pick(0.5));
        Assert.Null(BackendSet.Empty.Pick(0.1));
    }

    [Fact]
    public void Pick_KeepsInvalidBackendsInTheSplit()
    {
        var set = new BackendSet([BackendModel.InvalidRef("missing", 1), Backend("ok", 1)]);

        Assert.True(set.Pick(0.1)!.Invalid);
        Assert.False(set.Pick(0.9)!.Invalid);
    }

    [Fact]
    public void EndpointKey_BracketsIPv6()
    {
        Assert.Equal("127.0.0.1:80", new EndpointModel("127.0.0.1", 80).Key);
        Assert.Equal("[::1]:80", new EndpointModel("::1", 80).Key);
    }
}
