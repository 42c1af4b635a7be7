using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Meshway.Mtls.Identity;
using Meshway.Waypoint.Model;
using Microsoft.Extensions.Logging;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// The sandwich binding (Istio's ambient.istio.io/waypoint-inbound-binding: PROXY/15088): the node's ztunnel
/// terminates HBONE itself and opens a plain TCP connection to the waypoint, starting with a PROXY protocol v2
/// header whose destination is the Service VIP:port (or pod address) and whose TLV 0xD0 is the client's SPIFFE
/// ID. After the header the connection is served exactly like an HBONE tunnel's bytes. A header that does not
/// parse strictly, arrives too slowly, or names nothing this waypoint serves closes the connection; each is
/// counted and logged. No TLS here: the port trusts the network path from ztunnel, as Istio's does.
/// </summary>
public sealed partial class HboneInboundServer
{
    private static readonly TimeSpan ProxyHeaderTimeout = TimeSpan.FromSeconds(5);

    private readonly List<TcpListener> _proxyListeners = [];
    private readonly CancellationTokenSource _proxyStop = new();
    private long _proxyHeaderFailures;
    private long _proxyAccepted;

    /// <summary>Sandwiched connections closed because their PROXY v2 header was malformed, incomplete or late.</summary>
    public long ProxyHeaderFailures => Interlocked.Read(ref _proxyHeaderFailures);

    /// <summary>Sandwiched connections accepted and served.</summary>
    public long ProxyAccepted => Interlocked.Read(ref _proxyAccepted);

    private void StartSandwich(int port)
    {
        foreach (var address in _listener.Addresses)
        {
            var listener = new TcpListener(IPAddress.Parse(address), port);
            try
            {
                listener.Start();
            }
            catch (SocketException ex)
            {
                // The HBONE port keeps serving; only the sandwich binding on this address is missing.
                SandwichLog.StartFailed(_logger, _listener.Key, address, port, ex.Message);
                continue;
            }

            _proxyListeners.Add(listener);
            _ = AcceptLoopAsync(listener, _proxyStop.Token);
        }

        SandwichLog.Listening(_logger, _listener.Key, string.Join(", ", _listener.Addresses), port);
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = ServeSandwichedAsync(socket, stop);
        }
    }

    private async Task ServeSandwichedAsync(Socket socket, CancellationToken stop)
    {
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var header = await ReadHeaderAsync(stream, socket.RemoteEndPoint, stop);
            if (header is null)
            {
                return;
            }

            var snapshot = _store.Current;
            var authority = (header.Destination.Address.AddressFamily == AddressFamily.InterNetworkV6
                ? "[" + header.Destination.Address + "]"
                : header.Destination.Address.ToString()) + ":" + header.Destination.Port;
            var target = snapshot.FindService(authority);
            if (target is null || target.Waypoint != _listener.Key)
            {
                target = snapshot.FindWorkload(authority, _listener.Key);
            }

            if (target is null)
            {
                Interlocked.Increment(ref _unknownTargets);
                Log.UnknownTarget(_logger, authority, _listener.Key);
                return;
            }

            var tunnel = new HboneTunnelFeature
            {
                Target = target,
                Snapshot = snapshot,
                Peer = SpiffeId.Parse(header.PeerIdentity),
                Remote = header.Source,
            };
            Interlocked.Increment(ref _proxyAccepted);
            Log.Accepted(_logger, authority, header.PeerIdentity, target.DisplayName);
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            if (target.Protocol == ServiceProtocol.Tcp
                || (target.Protocol == ServiceProtocol.Detect && !await LooksLikeHttpAsync(reader, stop)))
            {
                await ProxyBytesAsync(reader.AsStream(leaveOpen: true), stream, target, socket.Close, stop);
                return;
            }

            await ServeHttpAsync(reader.AsStream(leaveOpen: true), stream, tunnel, stop);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or we are stopping: the connection ends.
        }
    }

    /// <summary>Reads and checks the PROXY v2 header; on any problem counts, logs and returns null (the caller closes).</summary>
    private async Task<ProxyV2Header?> ReadHeaderAsync(NetworkStream stream, EndPoint? remote, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(ProxyHeaderTimeout);
        var fixedPart = new byte[ProxyV2Header.FixedLength];
        string? error;
        ProxyV2Header? header = null;
        try
        {
            await stream.ReadExactlyAsync(fixedPart, timeout.Token);
            var length = ProxyV2Header.PayloadLength(fixedPart, out error);
            if (length >= 0)
            {
                var payload = new byte[length];
                await stream.ReadExactlyAsync(payload, timeout.Token);
                header = ProxyV2Header.Parse(fixedPart, payload, out error);
                if (header is not null && !SpiffeId.TryParse(header.PeerIdentity, out _))
                {
                    error = "peer identity is not a SPIFFE ID: " + header.PeerIdentity;
                    header = null;
                }
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            error = "no complete header within " + ProxyHeaderTimeout.TotalSeconds + " s";
        }
        catch (EndOfStreamException)
        {
            error = "connection closed inside the header";
        }

        if (header is null)
        {
            Interlocked.Increment(ref _proxyHeaderFailures);
            SandwichLog.BadHeader(_logger, remote?.ToString(), _listener.Key, error ?? "invalid");
        }

        return header;
    }

    private async ValueTask StopSandwichAsync()
    {
        await _proxyStop.CancelAsync();
        foreach (var listener in _proxyListeners)
        {
            listener.Stop();
        }

        _proxyListeners.Clear();
    }

    private static partial class SandwichLog
    {
        [LoggerMessage(20, LogLevel.Information, "Waypoint {Waypoint}: sandwich (PROXY v2) inbound listening on {Addresses} port {Port}")]
        public static partial void Listening(ILogger logger, string waypoint, string addresses, int port);

        [LoggerMessage(22, LogLevel.Error, "Waypoint {Waypoint}: sandwich (PROXY v2) inbound on {Address}:{Port} did not start: {Reason}")]
        public static partial void StartFailed(ILogger logger, string waypoint, string address, int port, string reason);

        [LoggerMessage(21, LogLevel.Warning, "Sandwich inbound: closed connection from {Remote} to waypoint {Waypoint}: bad PROXY v2 header: {Reason}")]
        public static partial void BadHeader(ILogger logger, string? remote, string waypoint, string reason);
    }
}
