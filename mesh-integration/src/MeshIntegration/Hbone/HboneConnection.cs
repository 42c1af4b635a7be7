using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Meshway.MeshIntegration.Hbone.Http2;
using Microsoft.Extensions.Logging;

namespace Meshway.MeshIntegration.Hbone;

/// <summary>
/// One HTTP/2 connection over mesh TLS to a pod's HBONE port, carrying many CONNECT tunnels (streams).
/// SocketsHttpHandler cannot send a plain HTTP/2 CONNECT (it always adds :scheme and :path, which
/// servers reset as a PROTOCOL_ERROR), so this is the small client the tunnel needs: SETTINGS, HEADERS
/// with HPACK, DATA with flow control both ways, WINDOW_UPDATE, RST_STREAM, PING and GOAWAY.
/// One reader task owns everything received; writers share the TLS stream under a lock.
/// </summary>
internal sealed partial class HboneConnection : IAsyncDisposable
{
    /// <summary>The receive window we give each tunnel (bytes buffered per tunnel before the peer must wait).</summary>
    internal const int StreamReceiveWindow = 4 * 1024 * 1024;

    /// <summary>The receive window of the whole connection.</summary>
    private const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    private const int DefaultWindow = 65_535;
    private const int MaxFrameSize = 16_384; // what we accept (the default; we never raise it)
    private const int MaxHeaderBlock = 64 * 1024;

    private readonly Socket _socket;
    private readonly SslStream _tls;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _sync = new();
    private readonly Dictionary<int, HboneStream> _streams = [];
    private readonly Hpack.Decoder _decoder = new(0);
    private readonly TaskCompletionSource _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private TaskCompletionSource _windowChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;
    private int _nextStreamId = 1;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrame = 16_384;
    private long _peerMaxStreams = 100; // until the peer says otherwise (Envoy and ztunnel allow 100)
    private long _sendWindow = DefaultWindow;
    private int _unackedConnectionBytes;
    private bool _goingAway;
    private Exception? _failure;

    private HboneConnection(string key, Socket socket, SslStream tls, ILogger logger)
    {
        Key = key;
        _socket = socket;
        _tls = tls;
        _logger = logger;
    }

    public string Key { get; }

    /// <summary>True while new tunnels may be opened here (not closed, no GOAWAY, below the peer's stream limit).</summary>
    public bool CanOpenStream
    {
        get
        {
            lock (_sync)
            {
                return _failure is null && !_goingAway && _streams.Count < _peerMaxStreams && _nextStreamId < int.MaxValue - 2;
            }
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_sync)
            {
                return _failure is not null;
            }
        }
    }

    public int ActiveStreams
    {
        get
        {
            lock (_sync)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>
    /// Opens the connection:
    /// 1. TCP to podIP:15008;
    /// 2. TLS 1.3 with our workload certificate, ALPN h2, no SNI; the options' validation callback
    ///    refuses a server whose URI SAN is not the expected identity;
    /// 3. the client preface, our SETTINGS (no push, no dynamic HPACK table, large windows) and a
    ///    connection WINDOW_UPDATE;
    /// 4. the reader task, then wait for the server's SETTINGS.
    /// </summary>
    public static async Task<HboneConnection> ConnectAsync(
        string key, IPEndPoint endpoint, SslClientAuthenticationOptions tls, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new HboneException($"HBONE connect to {endpoint} failed: {ex.SocketErrorCode}", HboneFailure.Connect, ex);
        }

        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(tls, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new HboneException($"HBONE TLS handshake with {endpoint} failed: {ex.Message}", HboneFailure.Handshake, ex);
        }

        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new HboneException($"HBONE server {endpoint} did not negotiate ALPN h2", HboneFailure.Protocol);
        }

        var connection = new HboneConnection(key, socket, ssl, logger);
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var hello = new byte[FrameHeader.ClientPreface.Length + FrameHeader.Size + 18 + FrameHeader.Size + 4];
        var span = hello.AsSpan();
        FrameHeader.ClientPreface.CopyTo(span);
        span = span[FrameHeader.ClientPreface.Length..];
        new FrameHeader(18, FrameType.Settings, FrameFlags.None, 0).Write(span);
        span = span[FrameHeader.Size..];
        WriteSetting(span, SettingId.HeaderTableSize, 0);
        WriteSetting(span[6..], SettingId.EnablePush, 0);
        WriteSetting(span[12..], SettingId.InitialWindowSize, StreamReceiveWindow);
        span = span[18..];
        new FrameHeader(4, FrameType.WindowUpdate, FrameFlags.None, 0).Write(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[FrameHeader.Size..], ConnectionReceiveWindow - DefaultWindow);
        await _tls.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
        await _tls.FlushAsync(cancellationToken).ConfigureAwait(false);

        _reader = Task.Run(ReadLoopAsync, CancellationToken.None);
        try
        {
            await _peerSettings.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new HboneException("HBONE server sent no SETTINGS within 10 s", HboneFailure.Protocol, ex);
        }
    }

    private static void WriteSetting(Span<byte> destination, SettingId id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)value);
    }

    /// <summary>
    /// Opens one tunnel: HEADERS {:method CONNECT, :authority podIP:port, extra headers} without
    /// END_STREAM, then waits for the response HEADERS. 200 gives the tunnel; anything else refuses it.
    /// </summary>
    public async Task<HboneStream> OpenStreamAsync(
        string authority, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var block = new List<byte>(64);
        Hpack.EncodeLiteral(block, ":method", "CONNECT");
        Hpack.EncodeLiteral(block, ":authority", authority);
        for (var i = 0; i < headers.Count; i++)
        {
            Hpack.EncodeLiteral(block, headers[i].Key.ToLowerInvariant(), headers[i].Value);
        }

        if (block.Count > _peerMaxFrame)
        {
            throw new HboneException("HBONE CONNECT headers are larger than one frame", HboneFailure.Protocol);
        }

        HboneStream stream;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Stream ids must go out in increasing order, so the id is taken under the write lock.
            lock (_sync)
            {
                if (_failure is not null || _goingAway)
                {
                    throw new HboneException("HBONE connection is closing", HboneFailure.Reset, _failure);
                }

                stream = new HboneStream(this, _nextStreamId, _peerInitialWindow);
                _nextStreamId += 2;
                _streams.Add(stream.Id, stream);
            }

            var frame = ArrayPool<byte>.Shared.Rent(FrameHeader.Size + block.Count);
            try
            {
                new FrameHeader(block.Count, FrameType.Headers, FrameFlags.EndHeaders, stream.Id).Write(frame);
                block.CopyTo(frame, FrameHeader.Size);
                await _tls.WriteAsync(frame.AsMemory(0, FrameHeader.Size + block.Count), cancellationToken).ConfigureAwait(false);
                await _tls.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Fail(new HboneException("HBONE connection broke while opening a tunnel", HboneFailure.Reset, ex));
            throw new HboneException("HBONE connection broke while opening a tunnel", HboneFailure.Reset, ex);
        }
        finally
        {
            _writeLock.Release();
        }

        int status;
        try
        {
            status = await stream.ResponseStatus.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (status != 200)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new HboneException($"HBONE CONNECT {authority} was answered {status}", HboneFailure.Refused);
        }

        return stream;
    }

    /// <summary>Sends DATA for one tunnel, waiting for flow-control credit; <paramref name="endStream"/> half-closes it.</summary>
    internal async ValueTask SendDataAsync(HboneStream stream, ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        var token = linked.Token;
        do
        {
            int chunk;
            Task? wait = null;
            lock (_sync)
            {
                ThrowIfUnusable(stream);
                var credit = Math.Min(_sendWindow, stream.SendWindow);
                chunk = (int)Math.Min(Math.Min(credit, _peerMaxFrame), data.Length);
                if (chunk > 0 || data.Length == 0)
                {
                    _sendWindow -= chunk;
                    stream.SendWindow -= chunk;
                }
                else
                {
                    wait = _windowChanged.Task;
                }
            }

            if (wait is not null)
            {
                await wait.WaitAsync(token).ConfigureAwait(false);
                continue;
            }

            var last = chunk == data.Length && endStream;
            await WriteFrameAsync(FrameType.Data, last ? FrameFlags.EndStream : FrameFlags.None, stream.Id, data[..chunk], token).ConfigureAwait(false);
            data = data[chunk..];
        }
        while (data.Length > 0);
    }

    private void ThrowIfUnusable(HboneStream stream)
    {
        if (_failure is not null)
        {
            throw new HboneException("HBONE connection closed", HboneFailure.Reset, _failure);
        }

        if (stream.ResetCode is { } code)
        {
            throw new HboneException($"HBONE tunnel was reset ({code})", HboneFailure.Reset);
        }
    }

    internal ValueTask SendWindowUpdateAsync(int streamId, int increment) =>
        WriteControlAsync(FrameType.WindowUpdate, FrameFlags.None, streamId, (uint)increment);

    internal ValueTask SendResetAsync(int streamId, Http2ErrorCode code) =>
        WriteControlAsync(FrameType.RstStream, FrameFlags.None, streamId, (uint)code);

    internal void Remove(HboneStream stream)
    {
        lock (_sync)
        {
            _streams.Remove(stream.Id);
        }
    }

    private async ValueTask WriteControlAsync(FrameType type, FrameFlags flags, int streamId, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        try
        {
            await WriteFrameAsync(type, flags, streamId, payload, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is going away; the reader notices and fails every tunnel.
        }
    }

    private async ValueTask WriteFrameAsync(FrameType type, FrameFlags flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var length = FrameHeader.Size + payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            new FrameHeader(payload.Length, type, flags, streamId).Write(buffer);
            payload.Span.CopyTo(buffer.AsSpan(FrameHeader.Size));
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _tls.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                await _tls.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            var failure = new HboneException("HBONE connection broke while writing", HboneFailure.Reset, ex);
            Fail(failure);
            throw failure;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The one reader: frames in order, HPACK state, flow control credit, stream data delivery.</summary>
    private async Task ReadLoopAsync()
    {
        var header = new byte[FrameHeader.Size];
        var payload = new byte[MaxFrameSize];
        var headerBlock = new List<byte>();
        var headerStream = 0;
        var headerEndStream = false;
        try
        {
            while (true)
            {
                await _tls.ReadExactlyAsync(header, _closed.Token).ConfigureAwait(false);
                var frame = FrameHeader.Read(header);
                if (frame.Length > MaxFrameSize)
                {
                    throw new HboneProtocolException(Http2ErrorCode.FrameSizeError, $"frame of {frame.Length} bytes exceeds {MaxFrameSize}");
                }

                var body = payload.AsMemory(0, frame.Length);
                await _tls.ReadExactlyAsync(body, _closed.Token).ConfigureAwait(false);

                // A header block must be followed by its CONTINUATION frames and nothing else.
                if (headerStream != 0 && frame.Type != FrameType.Continuation)
                {
                    throw new HboneProtocolException(Http2ErrorCode.ProtocolError, "expected CONTINUATION");
                }

                switch (frame.Type)
                {
                    case FrameType.Data:
                        await OnDataAsync(frame, body).ConfigureAwait(false);
                        break;
                    case FrameType.Headers:
                    {
                        var block = Unpad(frame, body.Span);
                        if (frame.Has(FrameFlags.Priority))
                        {
                            block = block[5..];
                        }

                        headerBlock.Clear();
                        headerBlock.AddRange(block);
                        headerEndStream = frame.Has(FrameFlags.EndStream);
                        if (frame.Has(FrameFlags.EndHeaders))
                        {
                            OnHeaders(frame.StreamId, headerBlock, headerEndStream);
                        }
                        else
                        {
                            headerStream = frame.StreamId;
                        }

                        break;
                    }

                    case FrameType.Continuation:
                        if (frame.StreamId != headerStream || headerStream == 0)
                        {
                            throw new HboneProtocolException(Http2ErrorCode.ProtocolError, "unexpected CONTINUATION");
                        }

                        headerBlock.AddRange(body.Span);
                        if (headerBlock.Count > MaxHeaderBlock)
                        {
                            throw new HboneProtocolException(Http2ErrorCode.EnhanceYourCalm, "header block too large");
                        }

                        if (frame.Has(FrameFlags.EndHeaders))
                        {
                            headerStream = 0;
                            OnHeaders(frame.StreamId, headerBlock, headerEndStream);
                        }

                        break;
                    case FrameType.RstStream:
                        if (frame.Length != 4)
                        {
                            throw new HboneProtocolException(Http2ErrorCode.FrameSizeError, "RST_STREAM length");
                        }

                        FindStream(frame.StreamId)?.OnReset((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.Span));
                        break;
                    case FrameType.Settings:
                        await OnSettingsAsync(frame, body).ConfigureAwait(false);
                        break;
                    case FrameType.PushPromise:
                        throw new HboneProtocolException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE although push is disabled");
                    case FrameType.Ping:
                        if (!frame.Has(FrameFlags.Ack) && frame.Length == 8)
                        {
                            await WriteFrameAsync(FrameType.Ping, FrameFlags.Ack, 0, body.ToArray(), _closed.Token).ConfigureAwait(false);
                        }

                        break;
                    case FrameType.GoAway:
                        OnGoAway(body.Span);
                        break;
                    case FrameType.WindowUpdate:
                        OnWindowUpdate(frame, body.Span);
                        break;
                    default:
                        break; // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.5)
                }
            }
        }
        catch (HboneProtocolException ex)
        {
            Log.ProtocolError(_logger, Key, ex.Message);
            await TrySendGoAwayAsync(ex.Code).ConfigureAwait(false);
            Fail(new HboneException($"HBONE protocol error: {ex.Message}", HboneFailure.Protocol, ex));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
        {
            Fail(new HboneException("HBONE connection closed", HboneFailure.Reset, ex));
        }
    }

    private static ReadOnlySpan<byte> Unpad(FrameHeader frame, ReadOnlySpan<byte> body)
    {
        if (!frame.Has(FrameFlags.Padded))
        {
            return body;
        }

        if (body.Length < 1 || body[0] >= body.Length)
        {
            throw new HboneProtocolException(Http2ErrorCode.ProtocolError, "bad padding");
        }

        return body[1..(body.Length - body[0])];
    }

    private async ValueTask OnDataAsync(FrameHeader frame, ReadOnlyMemory<byte> body)
    {
        // Connection credit is returned as soon as data is buffered: each tunnel's own window bounds its buffer.
        _unackedConnectionBytes += frame.Length;
        if (_unackedConnectionBytes >= ConnectionReceiveWindow / 2)
        {
            var increment = _unackedConnectionBytes;
            _unackedConnectionBytes = 0;
            await WriteControlAsync(FrameType.WindowUpdate, FrameFlags.None, 0, (uint)increment).ConfigureAwait(false);
        }

        var stream = FindStream(frame.StreamId);
        if (stream is null)
        {
            return; // a tunnel we already closed: its late data is dropped
        }

        var start = frame.Has(FrameFlags.Padded) ? 1 : 0;
        var data = frame.Has(FrameFlags.Padded) ? body[start..(body.Length - body.Span[0])] : body;
        await stream.OnDataAsync(data, frame.Has(FrameFlags.EndStream), padding: frame.Length - data.Length).ConfigureAwait(false);
    }

    private void OnHeaders(int streamId, List<byte> block, bool endStream)
    {
        // The HPACK state must see every block, even one for a stream we no longer track.
        var fields = _decoder.Decode(block.ToArray());
        var stream = FindStream(streamId);
        if (stream is null)
        {
            return;
        }

        var status = 0;
        foreach (var (name, value) in fields)
        {
            if (name == ":status")
            {
                status = int.TryParse(value, out var parsed) ? parsed : -1;
            }
        }

        stream.OnHeaders(status, endStream);
    }

    private async ValueTask OnSettingsAsync(FrameHeader frame, ReadOnlyMemory<byte> body)
    {
        if (frame.Has(FrameFlags.Ack))
        {
            return;
        }

        if (frame.Length % 6 != 0 || frame.StreamId != 0)
        {
            throw new HboneProtocolException(Http2ErrorCode.FrameSizeError, "malformed SETTINGS");
        }

        lock (_sync)
        {
            for (var i = 0; i < frame.Length; i += 6)
            {
                var id = (SettingId)BinaryPrimitives.ReadUInt16BigEndian(body.Span[i..]);
                var value = BinaryPrimitives.ReadUInt32BigEndian(body.Span[(i + 2)..]);
                switch (id)
                {
                    case SettingId.MaxConcurrentStreams:
                        _peerMaxStreams = value;
                        break;
                    case SettingId.InitialWindowSize:
                        if (value > int.MaxValue)
                        {
                            throw new HboneProtocolException(Http2ErrorCode.FlowControlError, "initial window too large");
                        }

                        // The change applies to every open stream's send window (RFC 9113 §6.9.2).
                        var delta = (int)value - _peerInitialWindow;
                        _peerInitialWindow = (int)value;
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                        }

                        break;
                    case SettingId.MaxFrameSize:
                        if (value is < 16_384 or > 16_777_215)
                        {
                            throw new HboneProtocolException(Http2ErrorCode.ProtocolError, "bad MAX_FRAME_SIZE");
                        }

                        _peerMaxFrame = (int)Math.Min(value, 64 * 1024);
                        break;
                }
            }

            PulseWindow();
        }

        await WriteFrameAsync(FrameType.Settings, FrameFlags.Ack, 0, ReadOnlyMemory<byte>.Empty, _closed.Token).ConfigureAwait(false);
        _peerSettings.TrySetResult();
    }

    private void OnGoAway(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8)
        {
            throw new HboneProtocolException(Http2ErrorCode.FrameSizeError, "GOAWAY length");
        }

        var lastStream = (int)(BinaryPrimitives.ReadUInt32BigEndian(body) & 0x7FFF_FFFF);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        List<HboneStream> refused = [];
        lock (_sync)
        {
            _goingAway = true;
            foreach (var stream in _streams.Values)
            {
                if (stream.Id > lastStream)
                {
                    refused.Add(stream);
                }
            }
        }

        Log.GoAway(_logger, Key, code, lastStream);
        foreach (var stream in refused)
        {
            stream.OnReset(Http2ErrorCode.RefusedStream);
        }
    }

    private void OnWindowUpdate(FrameHeader frame, ReadOnlySpan<byte> body)
    {
        if (frame.Length != 4)
        {
            throw new HboneProtocolException(Http2ErrorCode.FrameSizeError, "WINDOW_UPDATE length");
        }

        var increment = (int)(BinaryPrimitives.ReadUInt32BigEndian(body) & 0x7FFF_FFFF);
        lock (_sync)
        {
            if (frame.StreamId == 0)
            {
                _sendWindow += increment;
                if (_sendWindow > int.MaxValue)
                {
                    throw new HboneProtocolException(Http2ErrorCode.FlowControlError, "connection window overflow");
                }
            }
            else if (_streams.TryGetValue(frame.StreamId, out var stream))
            {
                stream.SendWindow += increment;
            }

            PulseWindow();
        }
    }

    /// <summary>Wakes every writer waiting for credit (called under <see cref="_sync"/>).</summary>
    private void PulseWindow()
    {
        var previous = _windowChanged;
        _windowChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private HboneStream? FindStream(int id)
    {
        lock (_sync)
        {
            return _streams.GetValueOrDefault(id);
        }
    }

    private async ValueTask TrySendGoAwayAsync(Http2ErrorCode code)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), (uint)code);
        try
        {
            await WriteFrameAsync(FrameType.GoAway, FrameFlags.None, 0, body, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Best effort: the peer learns from the closed socket instead.
        }
    }

    private void Fail(Exception failure)
    {
        List<HboneStream> streams;
        lock (_sync)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = failure;
            streams = [.. _streams.Values];
            _streams.Clear();
            PulseWindow();
        }

        foreach (var stream in streams)
        {
            stream.OnConnectionFailed(failure);
        }

        _closed.Cancel();
        _tls.Dispose();
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        bool first;
        lock (_sync)
        {
            first = _failure is null;
        }

        if (first)
        {
            await TrySendGoAwayAsync(Http2ErrorCode.NoError).ConfigureAwait(false);
        }

        Fail(new HboneException("HBONE connection disposed", HboneFailure.Reset));
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Already recorded as the connection's failure.
        }

        // _closed is not disposed: late writers still read its token and must see it cancelled.
    }

    private sealed class HboneProtocolException(Http2ErrorCode code, string message) : Exception(message)
    {
        public Http2ErrorCode Code { get; } = code;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "HBONE connection {Key}: protocol error, closing: {Reason}")]
        public static partial void ProtocolError(ILogger logger, string key, string reason);

        [LoggerMessage(2, LogLevel.Information, "HBONE connection {Key}: GOAWAY {Code}, last stream {LastStream}")]
        public static partial void GoAway(ILogger logger, string key, Http2ErrorCode code, int lastStream);
    }
}
