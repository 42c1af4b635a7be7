using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace Meshway.Config;

/// <summary>
/// Feeds the manifests of a directory to the applier, now and after every change. File system events only
/// mark the directory dirty; one worker waits a short debounce (so a burst of writes becomes one rebuild),
/// rereads the directory and applies. A slow poll backs up the watcher, which can miss events on some
/// file systems (network mounts, some container overlays).
/// </summary>
internal sealed partial class FileConfigSource : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly ManifestFiles _files;
    private readonly Func<IReadOnlyList<KubeObject>, CancellationToken, Task> _apply;
    private readonly ILogger _logger;
    private readonly TimeSpan _debounce;
    private readonly SemaphoreSlim _dirty = new(0);
    private readonly CancellationTokenSource _stop = new();
    private FileSystemWatcher? _watcher;
    private Task? _worker;
    private Task? _poller;
    private string _lastFingerprint = "";

    public FileConfigSource(
        string directory,
        Func<IReadOnlyList<KubeObject>, CancellationToken, Task> apply,
        ILogger logger,
        TimeSpan? debounce = null,
        Func<string, string, ManifestParseResult>? parse = null)
    {
        _files = new ManifestFiles(directory, logger, parse);
        _apply = apply;
        _logger = logger;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(15);
    }

    /// <summary>Loads and applies the directory once, then starts watching it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _watcher = new FileSystemWatcher(_files.Directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnChanged;
        _watcher.Error += (_, e) =>
        {
            LogWatcherError(_logger, e.GetException().Message);
            MarkDirty();
        };
        _watcher.EnableRaisingEvents = true;

        // Watch first, then read: an edit during the first read is not lost.
        await RebuildAsync(force: true, cancellationToken);
        _worker = Task.Run(WorkAsync);
        _poller = Task.Run(PollAsync);
    }

    public void MarkDirty() => _dirty.Release();

    private void OnChanged(object sender, FileSystemEventArgs e) => MarkDirty();

    private async Task WorkAsync()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                await _dirty.WaitAsync(token);
                await Task.Delay(_debounce, token);
                while (_dirty.CurrentCount > 0)
                {
                    _dirty.Wait(0, CancellationToken.None); // coalesce the burst into this one rebuild
                }

                await RebuildAsync(force: false, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task PollAsync()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                await Task.Delay(PollInterval, token);
                if (Fingerprint() != Volatile.Read(ref _lastFingerprint))
                {
                    MarkDirty();
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task RebuildAsync(bool force, CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref _lastFingerprint, Fingerprint());
            var (objects, changed) = await _files.ReadAsync(cancellationToken);
            if (_files.RecheckNeeded)
            {
                // A file is mid-rewrite (it read empty): look again once it has had time to settle.
                _ = RecheckLaterAsync();
            }

            if (!changed && !force)
            {
                return;
            }

            await _apply(objects, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Never let one bad rebuild stop the watcher: log it, keep serving the last good config.
            LogRebuildFailed(_logger, ex);
        }
    }

    private async Task RecheckLaterAsync()
    {
        try
        {
            await Task.Delay(ManifestFiles.EmptySettleTime + _debounce, _stop.Token);
            MarkDirty();
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Names, sizes and write times of the manifest files: cheap to compute, changes with any edit.</summary>
    private string Fingerprint()
    {
        try
        {
            var parts = new List<string>();
            foreach (var file in new DirectoryInfo(_files.Directory).EnumerateFiles())
            {
                if (file.Extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || file.Extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
                {
                    parts.Add(file.Name + ":" + file.Length + ":" + file.LastWriteTimeUtc.Ticks);
                }
            }

            parts.Sort(StringComparer.Ordinal);
            return string.Join("|", parts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _watcher?.Dispose();
        foreach (var task in new[] { _worker, _poller })
        {
            if (task is not null)
            {
                await task;
            }
        }

        _stop.Dispose();
        _dirty.Dispose();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Config directory watcher error ({Reason}); rereading the directory")]
    private static partial void LogWatcherError(ILogger logger, string reason);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Config rebuild failed; the last good config keeps serving")]
    private static partial void LogRebuildFailed(ILogger logger, Exception exception);
}
