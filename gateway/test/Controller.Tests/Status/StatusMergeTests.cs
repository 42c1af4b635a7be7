using System.Text.Json.Nodes;
using Meshway.Controller.Status;

namespace Meshway.Controller.Tests.Status;

public sealed class StatusMergeTests
{
    private static readonly DateTimeOffset T1 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T2 = T1.AddHours(1);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Owned_ReplacesOurFieldsKeepsOthers_AndStampsOnlyFlippedConditions()
    {
        var current = Parse("""
            {"vendorField":{"x":1},
             "conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"old","lastTransitionTime":"2020-01-01T00:00:00Z"},
                           {"type":"Programmed","status":"True","reason":"Programmed","lastTransitionTime":"2020-01-01T00:00:00Z"}],
             "listeners":[{"name":"http","conditions":[{"type":"Accepted","status":"True","lastTransitionTime":"2020-01-01T00:00:00Z"}]}]}
            """);
        var computed = Parse("""
            {"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"new"},
                           {"type":"Programmed","status":"False","reason":"Invalid"}],
             "listeners":[{"name":"http","conditions":[{"type":"Accepted","status":"True"}]},{"name":"https","conditions":[{"type":"Accepted","status":"False"}]}]}
            """);

        var merged = StatusMerge.Owned(current, computed, T2);

        Assert.Equal(1, merged["vendorField"]!["x"]!.GetValue<int>());
        Assert.Equal("new", merged["conditions"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("2020-01-01T00:00:00Z", merged["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal(StatusMerge.Timestamp(T2), merged["conditions"]![1]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal("2020-01-01T00:00:00Z", merged["listeners"]![0]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal(StatusMerge.Timestamp(T2), merged["listeners"]![1]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public void Owned_AppliedTwiceToItsOwnResult_IsUnchanged()
    {
        var computed = Parse("""{"conditions":[{"type":"Accepted","status":"True","reason":"Accepted"}],"addresses":[]}""");
        var first = StatusMerge.Owned(null, computed, T1);

        Assert.True(JsonNode.DeepEquals(first, StatusMerge.Owned(first, computed, T2)));
    }

    [Fact]
    public void RouteParents_KeepsForeignEntriesInPlace_ReplacesOurs_AndMatchesOldEntriesByParentRef()
    {
        var current = Parse("""
            {"parents":[
              {"parentRef":{"name":"a"},"controllerName":"ours","conditions":[{"type":"Accepted","status":"True","lastTransitionTime":"2020-01-01T00:00:00Z"}]},
              {"parentRef":{"name":"x"},"controllerName":"theirs","conditions":[]},
              {"parentRef":{"name":"gone"},"controllerName":"ours","conditions":[]}]}
            """);
        IReadOnlyList<JsonObject> ours =
        [
            Parse("""{"parentRef":{"name":"a"},"controllerName":"ours","conditions":[{"type":"Accepted","status":"True"}]}"""),
            Parse("""{"parentRef":{"name":"b"},"controllerName":"ours","conditions":[{"type":"Accepted","status":"False"}]}"""),
        ];

        var merged = StatusMerge.RouteParents(current, ours, "ours", T2)["parents"]!.AsArray();

        Assert.Equal(["x", "a", "b"], merged.Select(p => p!["parentRef"]!["name"]!.GetValue<string>()));
        Assert.Equal("theirs", merged[0]!["controllerName"]!.GetValue<string>());
        Assert.Equal("2020-01-01T00:00:00Z", merged[1]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal(StatusMerge.Timestamp(T2), merged[2]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public void RouteParents_NothingOursNowOrBefore_LeavesTheStatusUntouched()
    {
        var current = Parse("""{"parents":[{"parentRef":{"name":"x"},"controllerName":"theirs","conditions":[]}]}""");

        Assert.True(JsonNode.DeepEquals(current, StatusMerge.RouteParents(current, [], "ours", T1)));
        Assert.Null(StatusMerge.RouteParents(null, [], "ours", T1)["parents"]);
    }
}
