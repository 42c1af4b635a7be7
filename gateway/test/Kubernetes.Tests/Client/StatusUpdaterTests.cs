using System.Text.Json.Nodes;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;
using Meshway.Kubernetes.Tests.ApiServer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Kubernetes.Tests.Client;

public sealed class StatusUpdaterTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpRoute> RouteAsync()
    {
        var json = await _client.GetAsync(ResourceKind.HttpRoutes, "apps", "r", CancellationToken.None);
        return (HttpRoute)System.Text.Json.JsonSerializer.Deserialize(json!, ResourceKind.HttpRoutes.TypeInfo)!;
    }

    /// <summary>Sets our "mark" field and keeps everything else.</summary>
    private static JsonObject Mark(JsonObject? status, string value)
    {
        var next = status ?? new JsonObject();
        next["mark"] = value;
        return next;
    }

    [Fact]
    public async Task Update_WritesOnceThenNothingWhileTheDesiredStatusStaysTheSame()
    {
        _server.Apply("""{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r","namespace":"apps"},"spec":{}}""");
        var updater = new StatusUpdater(_client, NullLogger.Instance);

        Assert.NotNull(await updater.UpdateAsync(ResourceKind.HttpRoutes, await RouteAsync(), s => Mark(s, "one"), CancellationToken.None));
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await updater.UpdateAsync(ResourceKind.HttpRoutes, await RouteAsync(), s => Mark(s, "one"), CancellationToken.None));
        }

        Assert.Equal(1, _server.StatusWrites());
        Assert.Equal("one", _server.Get("gateway.networking.k8s.io/v1", "HTTPRoute", "apps", "r")!["status"]!["mark"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_OnConflict_RereadsAndKeepsWhatAnotherControllerWroteMeanwhile()
    {
        _server.Apply("""{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r","namespace":"apps"},"spec":{}}""");
        var stale = await RouteAsync();
        // Another controller writes its part of the status after we read the object.
        var theirs = _server.Get("gateway.networking.k8s.io/v1", "HTTPRoute", "apps", "r")!;
        theirs["status"] = new JsonObject { ["theirs"] = "kept", ["mark"] = "old" };
        await _client.ReplaceStatusAsync(ResourceKind.HttpRoutes, "apps", "r", theirs, CancellationToken.None);
        var updater = new StatusUpdater(_client, NullLogger.Instance);

        var written = await updater.UpdateAsync(ResourceKind.HttpRoutes, stale, s => Mark(s, "ours"), CancellationToken.None);

        Assert.NotNull(written);
        var status = _server.Get("gateway.networking.k8s.io/v1", "HTTPRoute", "apps", "r")!["status"]!;
        Assert.Equal("kept", status["theirs"]!.GetValue<string>());
        Assert.Equal("ours", status["mark"]!.GetValue<string>());
        Assert.Equal(3, _server.StatusWrites()); // theirs, our stale attempt (409), our retry
        Assert.Contains(_server.Requests, r => r == "GET /apis/gateway.networking.k8s.io/v1/namespaces/apps/httproutes/r");
    }

    [Fact]
    public async Task Update_ObjectDeleted_WritesNothingAndDoesNotThrow()
    {
        _server.Apply("""{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r","namespace":"apps"},"spec":{}}""");
        var route = await RouteAsync();
        _server.Delete("gateway.networking.k8s.io/v1", "HTTPRoute", "apps", "r");

        Assert.Null(await new StatusUpdater(_client, NullLogger.Instance).UpdateAsync(ResourceKind.HttpRoutes, route, s => Mark(s, "x"), CancellationToken.None));
    }
}
