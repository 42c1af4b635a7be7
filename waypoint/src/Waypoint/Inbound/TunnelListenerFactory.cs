using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// Kestrel's transport for tunnels: nothing is bound to a socket; each "listen" endpoint is a queue that
/// the HBONE inbound server feeds with <see cref="TunnelConnection"/>s. So the bytes inside a tunnel meet
/// the same HTTP server code (parsing, limits, HTTP/1.1 and h2c) as bytes from a socket.
/// </summary>
internal sealed class TunnelListenerFactory : IConnectionListenerFactory
{
    private readonly Dictionary<EndPoint, TunnelListener> _listeners = [];
    private readonly Lock _sync = new();

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            var listener = new TunnelListener(endpoint);
            _listeners[endpoint] = listener;
            return new(listener);
        }
    }

    /// <summary>Hands a tunnel to the internal server listening on <paramref name="endpoint"/>; false once it stopped.</summary>
    public bool TryDispatch(EndPoint endpoint, TunnelConnection connection)
    {
        TunnelListener? listener;
        lock (_sync)
        {
            _listeners.TryGetValue(endpoint, out listener);
        }

        return listener is not null && listener.Queue.Writer.TryWrite(connection);
    }

    private sealed class TunnelListener(EndPoint endpoint) : IConnectionListener
    {
        public Channel<TunnelConnection> Queue { get; } = Channel.CreateUnbounded<TunnelConnection>(new UnboundedChannelOptions { SingleReader = true });

        public EndPoint EndPoint { get; } = endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await Queue.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                return null; // unbound: Kestrel stops accepting
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            Queue.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Queue.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
