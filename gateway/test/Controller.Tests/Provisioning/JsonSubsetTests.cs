using System.Text.Json.Nodes;
using Meshway.Controller.Provisioning;

namespace Meshway.Controller.Tests.Provisioning;

public sealed class JsonSubsetTests
{
    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    [Theory]
    [InlineData("""{"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}""", true)]
    [InlineData("""{"spec":{"type":"ClusterIP"}}""", false)]
    [InlineData("""{"spec":{"ports":[{"port":80},{"port":443}]}}""", false)]
    [InlineData("""{"metadata":{"labels":{"missing":"x"}}}""", false)]
    public void Contains_IgnoresServerDefaults_ButNotDifferencesInOurFields(string desired, bool expected)
    {
        // What the API server holds: our fields plus defaults it added (protocol, clusterIP, sessionAffinity).
        var live = Parse("""
            {"metadata":{"name":"s","labels":{"a":"b"},"resourceVersion":"9"},
             "spec":{"type":"LoadBalancer","clusterIP":"10.0.0.1","sessionAffinity":"None","ports":[{"port":80,"protocol":"TCP"}]}}
            """);

        Assert.Equal(expected, JsonSubset.Contains(live, Parse(desired)));
    }

    [Fact]
    public void Overlay_PutsOurFieldsOnTheLiveObject_KeepingServerFieldsAndResourceVersion()
    {
        var live = Parse("""{"metadata":{"name":"s","resourceVersion":"9"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":80}]}}""").AsObject();
        var desired = Parse("""{"metadata":{"name":"s"},"spec":{"ports":[{"port":8080}]}}""").AsObject();

        var merged = JsonSubset.Overlay(live, desired);

        Assert.Equal("9", merged["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("10.0.0.1", merged["spec"]!["clusterIP"]!.GetValue<string>());
        Assert.Equal(8080, merged["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.True(JsonSubset.Contains(merged, desired));
    }
}
