using System.IO.Pipelines;
using System.Net.Sockets;

namespace Meshway.DataPlane.Streams;

/// <summary>
/// Copies bytes both ways between a client connection (Kestrel's pipe: raw bytes in passthrough and TCP,
/// plaintext after TLS termination) and a backend socket, until both directions end.
/// Client to backend: each segment the pipe holds is sent as is (Kestrel's pooled memory, nothing copied);
/// the client's FIN becomes a half-close (shutdown send) toward the backend, whose answer keeps flowing.
/// Backend to client: received straight into the pipe's pooled write memory. When the backend closes, the
/// client connection is completed (Kestrel's transport then closes it: it has no write-only shutdown).
/// No allocation per chunk in either direction.
/// </summary>
internal static class StreamSplicer
{
    // Backend -> client receives: up to 64 KiB per syscall into pipe memory taken only once data is there
    // (a zero-byte receive waits first), so an idle connection holds no buffer.
    private const int ReceiveSize = 64 * 1024;

    // The terminate path's two buffers live as long as the connection: one TLS record's worth each.
    private const int StreamBufferSize = 16 * 1024;

    public static async Task RunAsync(IDuplexPipe client, Socket backend, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        var up = ClientToBackendAsync(client.Input, backend, metrics, mode);
        var down = BackendToClientAsync(backend, client.Output, metrics, mode);
        var first = await Task.WhenAny(up, down);
        if (first == down)
        {
            // The backend is done (or the client stopped reading): stop reading the client too.
            client.Input.CancelPendingRead();
        }
        else if (up.Result == false)
        {
            // Client to backend failed (client reset, backend refused data): nothing more can flow.
            backend.Close(0);
        }

        await Task.WhenAll(up, down);
    }

    /// <summary>
    /// The same splice for a client that is a Stream (TLS terminated here by an SslStream): one pooled buffer
    /// per direction for the connection's lifetime. The client's close_notify/FIN ends its side with a
    /// half-close toward the backend; the backend's FIN sends close_notify to the client.
    /// </summary>
    public static async Task RunAsync(System.Net.Security.SslStream client, Socket backend, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        var up = StreamToBackendAsync(client, backend, metrics, mode);
        var down = BackendToStreamAsync(backend, client, metrics, mode);
        if (await Task.WhenAny(up, down) == up && !up.Result)
        {
            backend.Close(0);
        }

        await Task.WhenAll(up, down);
    }

    private static async Task<bool> StreamToBackendAsync(Stream client, Socket backend, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(StreamBufferSize);
        try
        {
            while (true)
            {
                var read = await client.ReadAsync(buffer.AsMemory());
                if (read == 0)
                {
                    backend.Shutdown(SocketShutdown.Send);
                    return true;
                }

                metrics.FromClient(mode, read);
                var sent = 0;
                while (sent < read)
                {
                    sent += await backend.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task BackendToStreamAsync(Socket backend, System.Net.Security.SslStream client, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(StreamBufferSize);
        try
        {
            while (true)
            {
                var received = await backend.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (received == 0)
                {
                    await client.ShutdownAsync(); // close_notify: the TLS way to say "no more data"
                    break;
                }

                await client.WriteAsync(buffer.AsMemory(0, received));
                metrics.ToClient(mode, received);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // The backend reset or the client went away.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <returns>true when the client ended its side cleanly (half-close passed on), false on an error or cancel.</returns>
    private static async Task<bool> ClientToBackendAsync(PipeReader input, Socket backend, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var sent = 0;
                    while (sent < segment.Length)
                    {
                        sent += await backend.SendAsync(segment[sent..], SocketFlags.None);
                    }
                }

                metrics.FromClient(mode, buffer.Length);
                input.AdvanceTo(buffer.End);
                if (result.IsCanceled)
                {
                    return false;
                }

                if (result.IsCompleted)
                {
                    backend.Shutdown(SocketShutdown.Send);
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            await input.CompleteAsync();
        }
    }

    private static async Task BackendToClientAsync(Socket backend, PipeWriter output, StreamMetrics metrics, Routing.Model.StreamMode mode)
    {
        try
        {
            while (true)
            {
                await backend.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var memory = output.GetMemory(ReceiveSize);
                var received = await backend.ReceiveAsync(memory, SocketFlags.None);
                if (received == 0)
                {
                    break;
                }

                output.Advance(received);
                metrics.ToClient(mode, received);
                var flush = await output.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // The backend reset or the client went away: closing is all that is left to do.
        }
        finally
        {
            await output.CompleteAsync();
        }
    }
}
