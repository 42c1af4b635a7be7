using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Metrics;

/// <summary>
/// The gateway's counters, written lock-free on the hot path and rendered as Prometheus text (format 0.0.4)
/// on scrape. Label values come from configuration (gateway, route, backend names) and status codes, so the
/// series count is bounded by the config; past <see cref="MaxRequestSeries"/> new series fold into "other"
/// labels so a misbehaving config cannot grow memory without bound.
/// </summary>
public sealed class GatewayMetrics
{
    public const int MaxRequestSeries = 5000;

    /// <summary>Upper bounds (seconds) of the latency histogram buckets.</summary>
    internal static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<RequestKey, Counter> _requests = new();
    private readonly ConcurrentDictionary<string, Counter> _bindFailures = new(StringComparer.Ordinal);
    private readonly long[] _durationBuckets = new long[DurationBuckets.Length + 1]; // last = +Inf
    private long _durationSumMicros;
    private long _durationCount;
    private long _activeConnections;
    private long _configReloads;
    private long _configReloadFailures;

    public long ActiveConnections => Interlocked.Read(ref _activeConnections);

    /// <summary>TLS passthrough/terminate and TCP connections (Streams/StreamProxy), rendered with the rest.</summary>
    public Streams.StreamMetrics Streams { get; } = new();

    public void ConnectionOpened() => Interlocked.Increment(ref _activeConnections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    public void ConfigReloaded() => Interlocked.Increment(ref _configReloads);

    public void ConfigReloadFailed() => Interlocked.Increment(ref _configReloadFailures);

    public void ListenerBindFailed(string bindingKey) =>
        _bindFailures.GetOrAdd(bindingKey, static _ => new Counter()).Increment();

    /// <summary>
    /// Counts one finished request. <paramref name="route"/> and <paramref name="backend"/> are null when the
    /// request never reached a route (404) or a backend (redirect, 500).
    /// </summary>
    public void RequestCompleted(ListenerModel? listener, RouteRef? route, string? backend, int statusCode, long elapsedTicks)
    {
        var key = new RequestKey(listener?.GatewayNamespace, listener?.GatewayName, route, backend, statusCode);
        if (!_requests.TryGetValue(key, out var counter))
        {
            if (_requests.Count >= MaxRequestSeries)
            {
                key = new RequestKey(null, null, null, "other", statusCode);
            }

            counter = _requests.GetOrAdd(key, static _ => new Counter());
        }

        counter.Increment();

        var seconds = elapsedTicks / (double)System.Diagnostics.Stopwatch.Frequency;
        var bucket = DurationBuckets.Length;
        for (var i = 0; i < DurationBuckets.Length; i++)
        {
            if (seconds <= DurationBuckets[i])
            {
                bucket = i;
                break;
            }
        }

        Interlocked.Increment(ref _durationBuckets[bucket]);
        Interlocked.Add(ref _durationSumMicros, (long)(seconds * 1_000_000));
        Interlocked.Increment(ref _durationCount);
    }

    /// <summary>Renders every metric in the Prometheus text exposition format, version 0.0.4.</summary>
    public string WritePrometheus()
    {
        var sb = new StringBuilder(4096);
        sb.Append("# HELP meshway_requests_total Requests served, by gateway, route, backend and response status code.\n");
        sb.Append("# TYPE meshway_requests_total counter\n");
        var series = new List<KeyValuePair<RequestKey, Counter>>(_requests);
        series.Sort(static (a, b) => string.CompareOrdinal(a.Key.SortKey, b.Key.SortKey));
        foreach (var (key, counter) in series)
        {
            sb.Append("meshway_requests_total{gateway=\"");
            AppendLabel(sb, key.GatewayNamespace is null ? "" : key.GatewayNamespace + "/" + key.GatewayName);
            sb.Append("\",route=\"");
            AppendLabel(sb, key.Route is null ? "" : key.Route.Namespace + "/" + key.Route.Name);
            sb.Append("\",backend=\"");
            AppendLabel(sb, key.Backend ?? "");
            sb.Append("\",code=\"").Append(key.Code.ToString(CultureInfo.InvariantCulture)).Append("\"} ");
            sb.Append(counter.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        sb.Append("# HELP meshway_request_duration_seconds Time from request start to response end.\n");
        sb.Append("# TYPE meshway_request_duration_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < DurationBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _durationBuckets[i]);
            sb.Append("meshway_request_duration_seconds_bucket{le=\"")
                .Append(DurationBuckets[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ")
                .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += Interlocked.Read(ref _durationBuckets[^1]);
        sb.Append("meshway_request_duration_seconds_bucket{le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("meshway_request_duration_seconds_sum ")
            .Append((Interlocked.Read(ref _durationSumMicros) / 1_000_000.0).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        // The count is the +Inf bucket by definition; using it keeps the two consistent within one scrape.
        sb.Append("meshway_request_duration_seconds_count ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');

        AppendGauge(sb, "meshway_active_connections", "Client connections currently open on gateway listeners.", ActiveConnections);
        AppendCounter(sb, "meshway_config_reloads_total", "Configurations applied.", Interlocked.Read(ref _configReloads));
        AppendCounter(sb, "meshway_config_reload_failures_total", "Configuration rebuilds that failed; the last good snapshot kept serving.", Interlocked.Read(ref _configReloadFailures));

        sb.Append("# HELP meshway_listener_bind_failures_total Listener sockets that could not be opened (for example, port in use).\n");
        sb.Append("# TYPE meshway_listener_bind_failures_total counter\n");
        var failures = new List<KeyValuePair<string, Counter>>(_bindFailures);
        failures.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (binding, counter) in failures)
        {
            sb.Append("meshway_listener_bind_failures_total{binding=\"");
            AppendLabel(sb, binding);
            sb.Append("\"} ").Append(counter.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Streams.Write(sb);
        return sb.ToString();
    }

    private static void AppendGauge(StringBuilder sb, string name, string help, long value)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(" gauge\n");
        sb.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void AppendCounter(StringBuilder sb, string name, string help, long value)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(" counter\n");
        sb.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Escapes a label value as the exposition format requires: backslash, double quote, newline.</summary>
    internal static void AppendLabel(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }

    // Strings and a RouteRef record: value equality without allocating a label string per request.
    private readonly record struct RequestKey(string? GatewayNamespace, string? GatewayName, RouteRef? Route, string? Backend, int Code)
    {
        public string SortKey => GatewayNamespace + "/" + GatewayName + "|" + Route?.Namespace + "/" + Route?.Name + "|" + Backend + "|" + Code.ToString("D3", CultureInfo.InvariantCulture);
    }

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }
}
