using System.Collections.Concurrent;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;
using Meshway.Kubernetes.Tests.ApiServer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Kubernetes.Tests.Client;

/// <summary>List, watch, reconnect and relist against the in-test API server, counting every applied change.</summary>
public sealed class InformerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;
    private readonly ConcurrentQueue<(WatchEventType Type, string Name, string? Rv)> _changes = new();

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

    private static string ServiceJson(string name, string ns = "apps", int port = 80) =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"app":"{{{name}}}"}},"spec":{"ports":[{"port":{{{port}}}}]}}""";

    private Informer NewInformer(InformerOptions? options = null) =>
        new(_client, ResourceKind.Services, options ?? new InformerOptions { BackoffInitial = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(200) },
            NullLogger.Instance, c => _changes.Enqueue((c.Type, c.Object.Name, c.Object.Metadata.ResourceVersion)));

    private int Count(WatchEventType type, string name) => _changes.Count(c => c.Type == type && c.Name == name);

    [Fact]
    public async Task List_WithPageSize_FollowsContinueTokensAndReturnsEveryItemOnce()
    {
        for (var i = 0; i < 25; i++)
        {
            _server.Apply(ServiceJson("svc-" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        var list = await _client.ListAsync(ResourceKind.Services, null, default, pageSize: 10, CancellationToken.None);

        Assert.Equal(25, list.Items.Count);
        Assert.Equal(25, list.Items.Select(i => i.GetProperty("metadata").GetProperty("name").GetString()).Distinct().Count());
        Assert.Equal(3, _server.Requests.Count(r => r.StartsWith("GET /api/v1/services?limit=10", StringComparison.Ordinal)));
        Assert.Equal(2, _server.Requests.Count(r => r.Contains("&continue=", StringComparison.Ordinal)));
        Assert.False(string.IsNullOrEmpty(list.ResourceVersion));
    }

    [Fact]
    public async Task Informer_ListThenWatch_AppliesAddModifyDeleteOnceEach_AndTypesListItems()
    {
        _server.Apply(ServiceJson("a"));
        await using var informer = NewInformer();
        informer.Start(CancellationToken.None);
        await informer.Synced;

        var listed = Assert.IsType<Service>(informer.Get("apps", "a"));
        Assert.Equal("Service", listed.Kind); // list items come without kind; the informer fills it in
        Assert.Equal("v1", listed.ApiVersion);

        _server.Apply(ServiceJson("b"));
        _server.Apply(ServiceJson("a", port: 81));
        _server.Delete("v1", "Service", "apps", "b");
        await Wait.UntilAsync(() => Count(WatchEventType.Deleted, "b") == 1, "delete of b");

        Assert.Equal(1, Count(WatchEventType.Added, "a"));
        Assert.Equal(1, Count(WatchEventType.Modified, "a"));
        Assert.Equal(1, Count(WatchEventType.Added, "b"));
        Assert.Equal(81, ((Service)informer.Get("apps", "a")!).Spec.Ports![0].Port);
        Assert.Null(informer.Get("apps", "b"));
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task Informer_WatchDroppedMidStream_ResumesFromLastVersion_NothingLostNothingTwice()
    {
        await using var informer = NewInformer();
        informer.Start(CancellationToken.None);
        await informer.Synced;

        for (var round = 0; round < 5; round++)
        {
            await Wait.UntilAsync(() => _server.OpenWatches == 1, "an open watch");
            _server.Apply(ServiceJson("s" + round));
            await Wait.UntilAsync(() => Count(WatchEventType.Added, "s" + round) == 1, "add of s" + round);
            _server.DropWatches();
            // Changes made while the informer is disconnected must arrive after it reconnects.
            _server.Apply(ServiceJson("s" + round, port: 8080));
            _server.Apply(ServiceJson("gap" + round));
        }

        await Wait.UntilAsync(() => Count(WatchEventType.Added, "gap4") == 1 && Count(WatchEventType.Modified, "s4") == 1, "the last changes");
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(1, Count(WatchEventType.Added, "s" + round));
            Assert.Equal(1, Count(WatchEventType.Modified, "s" + round));
            Assert.Equal(1, Count(WatchEventType.Added, "gap" + round));
        }

        Assert.Equal(15, _changes.Count);
        Assert.Equal(1, informer.ListCount); // resumed by resourceVersion, never relisted
        Assert.True(informer.WatchCount >= 6, "one watch per reconnect");
        Assert.Equal(10, informer.Snapshot().Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Informer_VersionTooOld_RelistsAndReportsOnlyWhatChanged(bool goneAsHttpStatus)
    {
        _server.GoneAsHttpStatus = goneAsHttpStatus;
        _server.Apply(ServiceJson("keep"));
        _server.Apply(ServiceJson("edit"));
        _server.Apply(ServiceJson("remove"));
        await using var informer = NewInformer();
        informer.Start(CancellationToken.None);
        await informer.Synced;
        await Wait.UntilAsync(() => _server.OpenWatches == 1, "an open watch");

        // While the informer is cut off, the world changes and the server forgets the history.
        _server.DropWatches();
        _server.Apply(ServiceJson("edit", port: 9000));
        _server.Delete("v1", "Service", "apps", "remove");
        _server.Apply(ServiceJson("new"));
        _server.Compact();

        await Wait.UntilAsync(() => informer.ListCount == 2 && Count(WatchEventType.Added, "new") == 1, "a relist");
        await Wait.UntilAsync(() => Count(WatchEventType.Deleted, "remove") == 1, "delete seen through the relist");
        Assert.Equal(1, Count(WatchEventType.Added, "keep")); // the relist does not report unchanged objects again
        Assert.Equal(1, Count(WatchEventType.Modified, "edit"));
        Assert.Equal(9000, ((Service)informer.Get("apps", "edit")!).Spec.Ports![0].Port);
        Assert.Equal(["edit", "keep", "new"], informer.Snapshot().Select(o => o.Name).Order().ToArray());
    }

    [Fact]
    public async Task Informer_Bookmark_AdvancesTheResumeVersionWithoutChanges()
    {
        await using var informer = NewInformer();
        informer.Start(CancellationToken.None);
        await informer.Synced;
        await Wait.UntilAsync(() => _server.OpenWatches == 1, "an open watch");
        // A change to another kind moves the server's version on without any Service event.
        _server.Apply("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x","namespace":"apps"}}""");
        var before = informer.ResourceVersion;

        _server.SendBookmarks();

        await Wait.UntilAsync(() => informer.ResourceVersion != before, "the bookmark");
        Assert.Empty(_changes);
    }

    [Fact]
    public async Task Informer_SilentDeadWatch_IsAbandonedAfterTimeoutPlusGrace_AndNothingIsLost()
    {
        await using var informer = NewInformer(new InformerOptions
        {
            WatchTimeout = TimeSpan.FromSeconds(1),
            WatchGrace = TimeSpan.FromMilliseconds(500),
            BackoffInitial = TimeSpan.FromMilliseconds(20),
        });
        informer.Start(CancellationToken.None);
        await informer.Synced;
        await Wait.UntilAsync(() => _server.OpenWatches == 1, "an open watch");

        _server.StallWatches();
        _server.Apply(ServiceJson("during-stall"));

        await Wait.UntilAsync(() => Count(WatchEventType.Added, "during-stall") == 1, "the change, through a new watch");
        Assert.True(informer.WatchCount >= 2);
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task Informer_ServerUnavailable_BacksOffAndRecovers()
    {
        _server.Unavailable = true;
        await using var informer = NewInformer();
        informer.Start(CancellationToken.None);
        await Wait.UntilAsync(() => _server.Requests.Count >= 3, "retries");
        Assert.False(informer.Synced.IsCompleted);

        _server.Apply(ServiceJson("late"));
        _server.Unavailable = false;

        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Count(WatchEventType.Added, "late"));
    }

    [Fact]
    public async Task Informer_FieldSelector_SeesOnlyTheSelectedObject()
    {
        _server.Apply(ServiceJson("one"));
        _server.Apply(ServiceJson("two"));
        await using var informer = NewInformer(new InformerOptions { Namespace = "apps", Selector = new ListSelector(FieldSelector: "metadata.name=two") });
        informer.Start(CancellationToken.None);
        await informer.Synced;
        _server.Apply(ServiceJson("one", port: 1));
        _server.Apply(ServiceJson("two", port: 2));

        await Wait.UntilAsync(() => Count(WatchEventType.Modified, "two") == 1, "change of two");
        Assert.Equal(0, Count(WatchEventType.Added, "one") + Count(WatchEventType.Modified, "one"));
        Assert.Contains(_server.Requests, r => r.Contains("/namespaces/apps/services?", StringComparison.Ordinal) && r.Contains("fieldSelector=metadata.name%3Dtwo", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_TokenAuth_SendsTheBearerTokenAndRereadsAFileTokenAfter401()
    {
        var dir = Directory.CreateTempSubdirectory("meshway-token-").FullName;
        try
        {
            var tokenFile = Path.Combine(dir, "token");
            File.WriteAllText(tokenFile, "one");
            var expected = "one";
            _server.RequiredToken = () => expected;
            using var client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress, Token = TokenSource.FromFile(tokenFile) });
            Assert.Empty((await client.ListAsync(ResourceKind.Services, null, default, 10, CancellationToken.None)).Items);

            // Rotation: the server now wants the new token, and the file has it (same mtime: only a 401 reveals it).
            var mtime = File.GetLastWriteTimeUtc(tokenFile);
            File.WriteAllText(tokenFile, "two");
            File.SetLastWriteTimeUtc(tokenFile, mtime);
            expected = "two";
            Assert.Empty((await client.ListAsync(ResourceKind.Services, null, default, 10, CancellationToken.None)).Items);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Client_Errors_BecomeKubeApiExceptionsWithTheStatusReason()
    {
        var created = await _client.CreateAsync(ResourceKind.Services, "apps", System.Text.Json.Nodes.JsonNode.Parse(ServiceJson("c"))!.AsObject(), CancellationToken.None);
        var stale = created.DeepClone().AsObject();
        _server.Apply(ServiceJson("c", port: 1));

        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => _client.ReplaceAsync(ResourceKind.Services, "apps", "c", stale, CancellationToken.None));
        Assert.True(conflict.IsConflict);
        Assert.Equal("Conflict", conflict.Reason);
        Assert.Null(await _client.GetAsync(ResourceKind.Services, "apps", "missing", CancellationToken.None));

        using var unreachable = new KubeApiClient(new KubeClientConfig { Server = new Uri("http://127.0.0.1:1") });
        var down = await Assert.ThrowsAsync<KubeApiException>(() => unreachable.GetAsync(ResourceKind.Services, "apps", "c", CancellationToken.None));
        Assert.Equal("Unreachable", down.Reason);
    }
}
