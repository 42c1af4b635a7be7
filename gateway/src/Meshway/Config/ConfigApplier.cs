using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.DataPlane;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation;
using Meshway.Translation.Status;
using Microsoft.Extensions.Logging;

namespace Meshway.Config;

/// <summary>
/// The single applier: objects -> ResourceSet -> Translate -> data plane. If translation throws (a bug:
/// bad input is supposed to become status), the failure is logged and counted and the last good snapshot
/// keeps serving. Keeps what the admin server shows: the status (with stable lastTransitionTime stamps),
/// the generation and when it was applied.
/// </summary>
internal sealed partial class ConfigApplier
{
    private readonly DataPlaneHost _host;
    private readonly Func<ResourceSet, TranslationResult> _translate;
    private readonly ConditionClock _clock = new();
    private readonly Func<DateTimeOffset> _now;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Applied? _applied;
    private long _clockGeneration;
    private int _lastObjectCount;
    private readonly MemoryTrimmer _trimmer = new();

    public ConfigApplier(DataPlaneHost host, Func<ResourceSet, TranslationResult> translate, ILogger logger, Func<DateTimeOffset>? now = null)
    {
        _host = host;
        _translate = translate;
        _logger = logger;
        _now = now ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>True once a configuration was applied and its listeners reconciled.</summary>
    public bool Ready => Volatile.Read(ref _applied) is not null;

    public Applied? Current => Volatile.Read(ref _applied);

    public async Task ApplyAsync(IReadOnlyList<KubeObject> objects, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            TranslationResult result;
            try
            {
                result = _translate(ResourceSet.From(objects));
            }
            catch (Exception ex)
            {
                _host.Metrics.ConfigReloadFailed();
                LogTranslateFailed(_logger, objects.Count, ex);
                return;
            }

            await _host.ApplyAsync(result.Snapshot, cancellationToken);
            var now = _now();
            var generation = (_applied?.Generation ?? 0) + 1;

            // The status document (thousands of objects at scale) is rendered when the admin server is asked
            // for it, not here: rendering it on every change cost more than translating, and held the next
            // change back.
            var status = result.Status;
            Volatile.Write(ref _applied, new Applied(generation, now, result.Snapshot, status,
                new Lazy<string>(() => RenderStatus(generation, status, now), LazyThreadSafetyMode.ExecutionAndPublication)));
            _host.Metrics.ConfigReloaded();
            if (generation == 1 || MemoryTrimmer.IsBigChange(_lastObjectCount, objects.Count))
            {
                _trimmer.Schedule();
            }

            _lastObjectCount = objects.Count;

            var snapshot = result.Snapshot;
            var listeners = snapshot.Bindings.Sum(b => b.Listeners.Length);
            var entries = snapshot.Bindings.SelectMany(b => b.Listeners).SelectMany(l => l.Hosts.Entries).Sum(h => h.Value.Count);
            LogApplied(_logger, generation, objects.Count, snapshot.Bindings.Length, listeners, entries,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var failed = _host.Listeners.FailedBindings;
            if (failed.Count > 0)
            {
                LogBindingsFailed(_logger, string.Join(", ", failed.Select(f => f.Key + " (" + f.Value + ")")));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _host.Metrics.ConfigReloadFailed();
            LogApplyFailed(_logger, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stamps and renders one generation's status. The clock learns from generations in order; a generation
    /// nobody asked about before a newer one was rendered is skipped, so a condition gets as its
    /// lastTransitionTime the apply time of the first rendered generation that showed it. An older
    /// generation asked for late (a request that raced a change) is stamped without teaching the clock.
    /// </summary>
    private string RenderStatus(long generation, StatusReport status, DateTimeOffset now)
    {
        lock (_clock)
        {
            var learn = generation > _clockGeneration;
            if (learn)
            {
                _clockGeneration = generation;
            }

            string json;
            try
            {
                json = _clock.Stamp(status, now, learn).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            }
            catch (Exception ex)
            {
                // A bug, but the status page must still answer (and the data plane is not affected).
                LogStatusRenderFailed(_logger, generation, ex);
                return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray(), ["error"] = "status rendering failed: " + ex.Message }
                    .ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            }

            if (status.Items.Count >= 1000)
            {
                _trimmer.Schedule(); // rendering thousands of objects leaves tens of megabytes of garbage behind
            }

            return json;
        }
    }

    /// <summary>One applied configuration, as the admin server shows it; <see cref="StatusJson"/> is rendered on first use.</summary>
    internal sealed record Applied(long Generation, DateTimeOffset AppliedAt, RoutingSnapshot Snapshot, StatusReport Status, Lazy<string> StatusText)
    {
        public string StatusJson => StatusText.Value;
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Applied config generation {Generation}: {Objects} objects -> {Bindings} sockets, {Listeners} listeners, {Entries} route entries, serving after {ElapsedMs:F1} ms")]
    private static partial void LogApplied(ILogger logger, long generation, int objects, int bindings, int listeners, int entries, double elapsedMs);

    [LoggerMessage(EventId = 121, Level = LogLevel.Error, Message = "Translation of {Objects} objects failed (a bug); the last good config keeps serving")]
    private static partial void LogTranslateFailed(ILogger logger, int objects, Exception exception);

    [LoggerMessage(EventId = 122, Level = LogLevel.Error, Message = "Applying the config failed; the last good config keeps serving")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 124, Level = LogLevel.Error, Message = "Rendering the status of config generation {Generation} failed (a bug)")]
    private static partial void LogStatusRenderFailed(ILogger logger, long generation, Exception exception);

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "Some listeners are not serving: {Failures}")]
    private static partial void LogBindingsFailed(ILogger logger, string failures);
}
