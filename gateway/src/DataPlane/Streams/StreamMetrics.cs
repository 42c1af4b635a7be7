using System.Globalization;
using System.Text;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Streams;

/// <summary>Why a TLS or TCP connection was closed without reaching a backend (a bounded label set).</summary>
internal enum StreamRefusal
{
    /// <summary>No complete ClientHello within the timeout.</summary>
    HelloTimeout,

    /// <summary>The client closed before the ClientHello was complete.</summary>
    Truncated,

    /// <summary>The first bytes are not a TLS handshake.</summary>
    NotTls,

    /// <summary>TLS framing but no parseable ClientHello.</summary>
    Malformed,

    /// <summary>A ClientHello without SNI where only SNI can choose the route.</summary>
    NoSni,

    /// <summary>No listener of the socket serves the SNI.</summary>
    NoListener,

    /// <summary>The listener has no route for the SNI (or the TCP listener has no route).</summary>
    NoRoute,

    /// <summary>The route has no usable backend (none, weight 0, or an unresolved backendRef).</summary>
    NoBackend,

    /// <summary>The chosen backend has no ready endpoint.</summary>
    NoEndpoint,

    /// <summary>No endpoint accepted the connection.</summary>
    ConnectFailed,
}

/// <summary>
/// Counters of the stream proxy (TLS passthrough, TLS terminate, TCP): connections and bytes by mode, refusals
/// by reason. Fixed arrays indexed by enum: lock-free and allocation-free on the hot path, and a bounded number
/// of series whatever the traffic.
/// </summary>
public sealed class StreamMetrics
{
    private static readonly string[] ModeLabels = ["tls_passthrough", "tls_terminate", "tcp"];
    private static readonly string[] RefusalLabels =
        ["hello_timeout", "truncated", "not_tls", "malformed", "no_sni", "no_listener", "no_route", "no_backend", "no_endpoint", "connect_failed"];

    private readonly long[] _connections = new long[ModeLabels.Length];
    private readonly long[] _active = new long[ModeLabels.Length];
    private readonly long[] _bytesFromClient = new long[ModeLabels.Length];
    private readonly long[] _bytesToClient = new long[ModeLabels.Length];
    private readonly long[] _refusals = new long[RefusalLabels.Length];

    /// <summary>Refusals so far for a reason label ("no_sni", "not_tls", ...); for tests and the admin API.</summary>
    public long Refusals(string reason)
    {
        var index = Array.IndexOf(RefusalLabels, reason);
        return index < 0 ? 0 : Interlocked.Read(ref _refusals[index]);
    }

    internal void Refused(StreamRefusal reason) => Interlocked.Increment(ref _refusals[(int)reason]);

    internal void Opened(StreamMode mode)
    {
        Interlocked.Increment(ref _connections[(int)mode]);
        Interlocked.Increment(ref _active[(int)mode]);
    }

    internal void Closed(StreamMode mode) => Interlocked.Decrement(ref _active[(int)mode]);

    internal void FromClient(StreamMode mode, long bytes) => Interlocked.Add(ref _bytesFromClient[(int)mode], bytes);

    internal void ToClient(StreamMode mode, long bytes) => Interlocked.Add(ref _bytesToClient[(int)mode], bytes);

    internal void Write(StringBuilder sb)
    {
        WriteByMode(sb, "meshway_stream_connections_total", "counter", "TLS/TCP connections spliced to a backend, by listener mode.", _connections);
        WriteByMode(sb, "meshway_stream_active_connections", "gauge", "TLS/TCP connections currently spliced, by listener mode.", _active);
        WriteByMode(sb, "meshway_stream_received_bytes_total", "counter", "Bytes received from clients on TLS/TCP listeners (after TLS termination in terminate mode).", _bytesFromClient);
        WriteByMode(sb, "meshway_stream_sent_bytes_total", "counter", "Bytes sent to clients on TLS/TCP listeners (before TLS in terminate mode).", _bytesToClient);
        sb.Append("# HELP meshway_stream_refused_total TLS/TCP connections closed before reaching a backend, by reason.\n");
        sb.Append("# TYPE meshway_stream_refused_total counter\n");
        for (var i = 0; i < RefusalLabels.Length; i++)
        {
            sb.Append("meshway_stream_refused_total{reason=\"").Append(RefusalLabels[i]).Append("\"} ")
                .Append(Interlocked.Read(ref _refusals[i]).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void WriteByMode(StringBuilder sb, string name, string type, string help, long[] values)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        for (var i = 0; i < ModeLabels.Length; i++)
        {
            sb.Append(name).Append("{mode=\"").Append(ModeLabels[i]).Append("\"} ")
                .Append(Interlocked.Read(ref values[i]).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
