using System.Text.Json;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace Meshway.Kubernetes.Client;

/// <summary>How an informer lists and watches.</summary>
public sealed record InformerOptions
{
    /// <summary>Only this namespace; null for all namespaces (or a cluster-scoped kind).</summary>
    public string? Namespace { get; init; }

    public ListSelector Selector { get; init; }

    public int PageSize { get; init; } = 500;

    /// <summary>Asked of the server per watch; it ends the stream then and the informer resumes from where it was.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after <see cref="WatchTimeout"/> a watch that has not ended is given up on. A connection can
    /// die without a FIN (a node or NAT dropping it); without this the informer would wait on it forever.
    /// </summary>
    public TimeSpan WatchGrace { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The kind's CRD may not be installed (TLSRoute, TCPRoute live in the experimental channel, or only in
    /// newer releases), or an older RBAC may not grant it: a 404 or 403 on the list counts as synced and
    /// empty, so the other kinds are still served;
    /// the list is retried every <see cref="MissingKindRetry"/>, so a CRD installed later is picked up without
    /// polling the API server while idle.
    /// </summary>
    public bool Optional { get; init; }

    public TimeSpan MissingKindRetry { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>One change the informer applied to its cache (after de-duplication).</summary>
public readonly record struct InformerChange(WatchEventType Type, KubeObject Object);

/// <summary>
/// A cache of one kind kept current by list-then-watch, the client-go way:
/// 1. list (paginated) and replace the cache, emitting only the differences from what it held before;
/// 2. watch from the list's resourceVersion with bookmarks, applying each event;
/// 3. when the stream ends (server timeout, dropped connection) resume the watch from the last
///    resourceVersion seen, after a jittered exponential backoff if it failed;
/// 4. when the server says that version is too old (410 Gone, as HTTP status or ERROR event), list again.
/// Every object remembers its resourceVersion, so an event seen twice (a replay after a reconnect, or our
/// own write echoed back) is applied once; nothing is lost because every resume starts from the last
/// version actually applied.
/// </summary>
public sealed partial class Informer : IAsyncDisposable
{
    private readonly KubeApiClient _client;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly Action<InformerChange>? _onChange;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, KubeObject> _cache = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private long _lists;
    private long _watches;

    public Informer(KubeApiClient client, ResourceKind kind, InformerOptions options, ILogger logger, Action<InformerChange>? onChange = null)
    {
        _client = client;
        Kind = kind;
        _options = options;
        _logger = logger;
        _onChange = onChange;
    }

    public ResourceKind Kind { get; }

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Lists done (the first one and every relist after 410 Gone).</summary>
    public long ListCount => Interlocked.Read(ref _lists);

    /// <summary>Watch requests opened (the first one and every reconnect).</summary>
    public long WatchCount => Interlocked.Read(ref _watches);

    /// <summary>The resourceVersion the next watch resumes from.</summary>
    public string ResourceVersion { get; private set; } = "";

    public void Start(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the informer is already running");
        }

        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Every cached object, in no particular order.</summary>
    public List<KubeObject> Snapshot()
    {
        lock (_lock)
        {
            return [.. _cache.Values];
        }
    }

    public KubeObject? Get(string? @namespace, string name)
    {
        lock (_lock)
        {
            return _cache.GetValueOrDefault(Key(@namespace, name));
        }
    }

    /// <summary>
    /// Stores what a write of ours returned, so the cache reflects it before the watch echoes it back (the
    /// echo then carries the same resourceVersion and is skipped). Not reported as a change.
    /// </summary>
    public void Store(KubeObject obj)
    {
        lock (_lock)
        {
            _cache[Key(obj)] = obj;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                try
                {
                    await _loop;
                }
                catch (OperationCanceledException)
                {
                }
            }

            _stop.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.BackoffInitial, _options.BackoffMax);
        var needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    Interlocked.Increment(ref _lists);
                    var list = await _client.ListAsync(Kind, _options.Namespace, _options.Selector, _options.PageSize, cancellationToken);
                    ReplaceAll(list);
                    needList = false;
                    _synced.TrySetResult();
                    LogListed(_logger, Kind, list.Items.Count, list.ResourceVersion);
                }

                Interlocked.Increment(ref _watches);
                var started = DateTime.UtcNow;
                var events = 0;
                using (var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    watchdog.CancelAfter(_options.WatchTimeout + _options.WatchGrace);
                    try
                    {
                        await foreach (var watchEvent in _client.WatchAsync(
                            Kind, _options.Namespace, _options.Selector, ResourceVersion, _options.WatchTimeout, watchdog.Token))
                        {
                            events++;
                            if (watchEvent.Type == WatchEventType.Error)
                            {
                                throw ErrorEvent(watchEvent.Object);
                            }

                            Apply(watchEvent);
                            backoff.Reset();
                        }
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The server should have ended this watch long ago: the connection is dead. Resume.
                        LogWatchStalled(_logger, Kind, ResourceVersion);
                        continue;
                    }
                }

                // A normal end (the server's timeout): resume at once, unless the server ends every watch
                // straight away, which would otherwise turn into a busy loop.
                if (events == 0 && DateTime.UtcNow - started < TimeSpan.FromSeconds(1))
                {
                    await Task.Delay(backoff.Next(), cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException ex) when (_options.Optional && needList && (ex.IsNotFound || ex.StatusCode == 403))
            {
                _synced.TrySetResult();
                LogKindMissing(_logger, Kind, (long)_options.MissingKindRetry.TotalMilliseconds);
                try
                {
                    await Task.Delay(_options.MissingKindRetry, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            catch (KubeApiException ex) when (ex.IsGone)
            {
                // Our resourceVersion is older than the server keeps history for: only a new list is consistent.
                LogGone(_logger, Kind, ResourceVersion);
                needList = true;
            }
            catch (Exception ex) when (ex is KubeApiException or HttpRequestException or IOException or KubeConfigException)
            {
                var delay = backoff.Next();
                LogWatchFailed(_logger, Kind, ex.Message, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private KubeApiException ErrorEvent(JsonElement status)
    {
        var code = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 0;
        var (reason, message) = status.ValueKind == JsonValueKind.Object ? KubeApiClient.ParseStatus(status.GetRawText()) : (null, null);
        return new KubeApiException(code, reason ?? "WatchError", $"watch of {Kind}: {message ?? "error event"}");
    }

    private void Apply(WatchEvent watchEvent)
    {
        var rv = ResourceVersionOf(watchEvent.Object);
        if (watchEvent.Type == WatchEventType.Bookmark)
        {
            if (rv is not null)
            {
                ResourceVersion = rv;
            }

            return;
        }

        var obj = Type(watchEvent.Object);
        InformerChange? change = null;
        if (obj is not null)
        {
            lock (_lock)
            {
                var key = Key(obj);
                _cache.TryGetValue(key, out var cached);
                if (watchEvent.Type == WatchEventType.Deleted)
                {
                    if (cached is not null)
                    {
                        _cache.Remove(key);
                        change = new InformerChange(WatchEventType.Deleted, obj);
                    }
                }
                else if (cached is null || cached.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
                {
                    _cache[key] = obj;
                    change = new InformerChange(cached is null ? WatchEventType.Added : WatchEventType.Modified, obj);
                }
            }
        }

        if (rv is not null)
        {
            ResourceVersion = rv;
        }

        if (change is { } applied)
        {
            _onChange?.Invoke(applied);
        }
    }

    /// <summary>Replaces the cache with a full list, reporting only what differs from before (a relist after
    /// a long outage reports what changed meanwhile, including deletions, and nothing else).</summary>
    private void ReplaceAll(ListResult list)
    {
        var changes = new List<InformerChange>();
        lock (_lock)
        {
            var fresh = new Dictionary<string, KubeObject>(StringComparer.Ordinal);
            foreach (var item in list.Items)
            {
                if (Type(item) is { } obj)
                {
                    fresh[Key(obj)] = obj;
                }
            }

            foreach (var (key, old) in _cache)
            {
                if (!fresh.ContainsKey(key))
                {
                    changes.Add(new InformerChange(WatchEventType.Deleted, old));
                }
            }

            foreach (var (key, obj) in fresh)
            {
                if (!_cache.TryGetValue(key, out var old))
                {
                    changes.Add(new InformerChange(WatchEventType.Added, obj));
                }
                else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
                {
                    changes.Add(new InformerChange(WatchEventType.Modified, obj));
                }
            }

            _cache.Clear();
            foreach (var (key, obj) in fresh)
            {
                _cache[key] = obj;
            }

            ResourceVersion = list.ResourceVersion;
        }

        foreach (var change in changes)
        {
            _onChange?.Invoke(change);
        }
    }

    /// <summary>The typed object, or null (logged) when the server sent something our model cannot read.</summary>
    private KubeObject? Type(JsonElement element)
    {
        try
        {
            if (element.Deserialize(Kind.TypeInfo) is KubeObject obj)
            {
                // List items come without apiVersion/kind; the informer knows them.
                obj.ApiVersion = string.IsNullOrEmpty(obj.ApiVersion) ? Kind.ApiVersion : obj.ApiVersion;
                obj.Kind = string.IsNullOrEmpty(obj.Kind) ? Kind.Kind : obj.Kind;
                return obj;
            }
        }
        catch (JsonException ex)
        {
            LogUnreadable(_logger, Kind, ResourceVersionOf(element) ?? "?", ex.Message);
        }

        return null;
    }

    private static string? ResourceVersionOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object
        && meta.TryGetProperty("resourceVersion", out var rv) && rv.ValueKind == JsonValueKind.String
            ? rv.GetString()
            : null;

    private string Key(KubeObject obj) => Key(obj.IsNamespaced ? obj.Namespace : null, obj.Name);

    private static string Key(string? @namespace, string name) => (@namespace ?? "") + "/" + name;

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "Listed {Kind}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, ResourceKind kind, int count, string resourceVersion);

    [LoggerMessage(EventId = 406, Level = LogLevel.Information, Message = "{Kind} is not served by the API server (CRD not installed?) or not permitted (RBAC); treating it as empty, listing again in {DelayMs} ms")]
    private static partial void LogKindMissing(ILogger logger, ResourceKind kind, long delayMs);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Watch of {Kind} from resourceVersion {ResourceVersion} is too old (410 Gone); listing again")]
    private static partial void LogGone(ILogger logger, ResourceKind kind, string resourceVersion);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Watch of {Kind} failed: {Reason}; retrying in {DelayMs} ms")]
    private static partial void LogWatchFailed(ILogger logger, ResourceKind kind, string reason, long delayMs);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Watch of {Kind} outlived its timeout without ending (a dead connection?); resuming from resourceVersion {ResourceVersion}")]
    private static partial void LogWatchStalled(ILogger logger, ResourceKind kind, string resourceVersion);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Skipping a {Kind} object at resourceVersion {ResourceVersion} that does not fit the model: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, ResourceKind kind, string resourceVersion, string reason);
}
