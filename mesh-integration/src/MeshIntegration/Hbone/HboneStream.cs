using System.Buffers;
using System.IO.Pipelines;
using Meshway.MeshIntegration.Hbone.Http2;

namespace Meshway.MeshIntegration.Hbone;

/// <summary>
/// One HBONE tunnel as a duplex byte stream: reads return what the pod sent (0 at its END_STREAM),
/// writes become DATA frames under flow control. <see cref="CompleteWritesAsync"/> half-closes (like a
/// TCP FIN); disposing ends the tunnel both ways. Received bytes wait in a pipe bounded by the stream
/// window we advertised; credit goes back to the peer as the application consumes them.
/// </summary>
public sealed class HboneStream : Stream
{
    private readonly HboneConnection _connection;
    private readonly Pipe _inbound = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly TaskCompletionSource<int> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _unackedBytes;
    private int _localClosed; // 1 once END_STREAM was sent
    private volatile bool _remoteClosed;
    private int _disposed;

    internal HboneStream(HboneConnection connection, int id, int sendWindow)
    {
        _connection = connection;
        Id = id;
        SendWindow = sendWindow;
    }

    internal int Id { get; }

    /// <summary>Credit the peer gave this stream; guarded by the connection's lock.</summary>
    internal long SendWindow { get; set; }

    internal Http2ErrorCode? ResetCode { get; private set; }

    internal Task<int> ResponseStatus => _status.Task;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        ReadResult result;
        try
        {
            result = await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return 0; // the reader was completed by Dispose
        }

        var data = result.Buffer;
        var count = (int)Math.Min(data.Length, buffer.Length);
        var consumed = data.Slice(0, count);
        consumed.CopyTo(buffer.Span);
        _inbound.Reader.AdvanceTo(consumed.End);
        if (count > 0)
        {
            await ReturnCreditAsync(count).ConfigureAwait(false);
        }

        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _localClosed) != 0)
        {
            throw new IOException("HBONE tunnel is closed for writing");
        }

        return buffer.Length == 0 ? ValueTask.CompletedTask : _connection.SendDataAsync(this, buffer, endStream: false, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>Frames are written as they are produced; there is nothing to flush.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    /// <summary>Half-closes the tunnel (END_STREAM): the pod sees end of input, and can still answer.</summary>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _localClosed, 1) == 0)
        {
            await _connection.SendDataAsync(this, ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken).ConfigureAwait(false);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    internal void OnHeaders(int status, bool endStream)
    {
        if (!_status.TrySetResult(status) && endStream)
        {
            _remoteClosed = true; // trailers
        }

        if (endStream)
        {
            _remoteClosed = true;
            _inbound.Writer.Complete();
        }
    }

    internal async ValueTask OnDataAsync(ReadOnlyMemory<byte> data, bool endStream, int padding)
    {
        if (_remoteClosed)
        {
            return;
        }

        if (data.Length > 0)
        {
            _inbound.Writer.Write(data.Span);
            var flush = _inbound.Writer.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                await flush.ConfigureAwait(false);
            }
        }

        if (padding > 0)
        {
            await ReturnCreditAsync(padding).ConfigureAwait(false); // padding is never consumed by a reader
        }

        if (endStream)
        {
            _remoteClosed = true;
            _inbound.Writer.Complete();
        }
    }

    internal void OnReset(Http2ErrorCode code)
    {
        ResetCode = code;
        _status.TrySetException(new HboneException($"HBONE tunnel was reset ({code})", HboneFailure.Reset));
        _remoteClosed = true;
        _inbound.Writer.Complete(new HboneException($"HBONE tunnel was reset ({code})", HboneFailure.Reset));
        _connection.Remove(this);
    }

    internal void OnConnectionFailed(Exception failure)
    {
        _status.TrySetException(failure);
        _remoteClosed = true;
        _inbound.Writer.Complete(failure);
    }

    private ValueTask ReturnCreditAsync(int bytes)
    {
        // Batch WINDOW_UPDATEs: one per half window consumed keeps the peer streaming without a frame per read.
        var total = Interlocked.Add(ref _unackedBytes, bytes);
        if (total < HboneConnection.StreamReceiveWindow / 2 || _remoteClosed)
        {
            return ValueTask.CompletedTask;
        }

        Interlocked.Add(ref _unackedBytes, -total);
        return _connection.SendWindowUpdateAsync(Id, total);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // End our half, and if the pod has not finished, cancel its half so both ends free the stream.
        if (ResetCode is null && !_connection.IsClosed)
        {
            try
            {
                await CompleteWritesAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The tunnel or connection is already gone.
            }

            if (!_remoteClosed)
            {
                await _connection.SendResetAsync(Id, Http2ErrorCode.Cancel).ConfigureAwait(false);
            }
        }

        _connection.Remove(this);
        _inbound.Reader.Complete();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Volatile.Read(ref _disposed) == 0)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
