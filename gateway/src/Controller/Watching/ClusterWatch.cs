using System.Threading.Channels;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace Meshway.Controller.Watching;

/// <summary>One kind to watch and how (namespace, selectors).</summary>
public sealed record WatchSpec(ResourceKind Kind, InformerOptions Options);

/// <summary>
/// The Kubernetes config source: one informer per kind, all feeding one coalescing queue, and one worker
/// that, once every informer has synced, hands the whole current world to <c>apply</c>. A burst of events
/// (a relist, a kubectl apply of many objects) becomes one call; a change during a call triggers exactly one
/// more. The worker is the only caller, so apply never runs concurrently with itself.
/// </summary>
public sealed partial class ClusterWatch : IAsyncDisposable
{
    private readonly List<Informer> _informers = [];
    private readonly Channel<bool> _queue = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Func<IReadOnlyList<KubeObject>, CancellationToken, Task> _apply;
    private readonly TimeSpan _debounce;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stop;
    private Task? _worker;
    private long _applies;

    public ClusterWatch(
        KubeApiClient client,
        IEnumerable<WatchSpec> specs,
        Func<IReadOnlyList<KubeObject>, CancellationToken, Task> apply,
        ILoggerFactory loggers,
        TimeSpan? debounce = null)
    {
        _apply = apply;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(100);
        _logger = loggers.CreateLogger("meshway.kubernetes");
        foreach (var spec in specs)
        {
            _informers.Add(new Informer(client, spec.Kind, spec.Options, loggers.CreateLogger("meshway.informer"), _ => Trigger()));
        }
    }

    public IReadOnlyList<Informer> Informers => _informers;

    /// <summary>Completes when every informer has its first list.</summary>
    public Task Synced => Task.WhenAll(_informers.Select(i => i.Synced));

    /// <summary>How many times apply ran.</summary>
    public long ApplyCount => Interlocked.Read(ref _applies);

    public Informer? InformerFor(ResourceKind kind) => _informers.FirstOrDefault(i => i.Kind == kind);

    public void Start(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        foreach (var informer in _informers)
        {
            informer.Start(_stop.Token);
        }

        _worker = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Asks for one more apply (coalesced with any pending one).</summary>
    public void Trigger() => _queue.Writer.TryWrite(true);

    /// <summary>Every cached object of every kind.</summary>
    public List<KubeObject> Snapshot()
    {
        var all = new List<KubeObject>();
        foreach (var informer in _informers)
        {
            all.AddRange(informer.Snapshot());
        }

        return all;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            if (_worker is not null)
            {
                await _worker;
            }
        }

        foreach (var informer in _informers)
        {
            await informer.DisposeAsync();
        }

        _stop?.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Applying half a world (routes before their Gateway is listed) would publish wrong status.
            await Synced.WaitAsync(cancellationToken);
            LogSynced(_logger, _informers.Count);
            var backoff = new Backoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
            Trigger();
            while (await _queue.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(_debounce, cancellationToken);
                _queue.Reader.TryRead(out _);
                try
                {
                    await _apply(Snapshot(), cancellationToken);
                    Interlocked.Increment(ref _applies);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed round (API errors while writing) is retried after a backoff even if nothing changes.
                    var delay = backoff.Next();
                    LogApplyFailed(_logger, (long)delay.TotalMilliseconds, ex);
                    _ = Task.Delay(delay, cancellationToken).ContinueWith(_ => Trigger(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    continue;
                }

                backoff.Reset();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Initial list of {Count} kinds done; watching")]
    private static partial void LogSynced(ILogger logger, int count);

    [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "Applying the cluster state failed; retrying in {DelayMs} ms or on the next change")]
    private static partial void LogApplyFailed(ILogger logger, long delayMs, Exception exception);
}
