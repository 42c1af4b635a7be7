using Meshway.Routing.Backends;
using Meshway.Routing.Hosts;

namespace Meshway.Routing.Model;

/// <summary>How a TLS or TCP listener handles a connection.</summary>
public enum StreamMode
{
    /// <summary>TLS listener, tls.mode Passthrough: the SNI picks the route, the bytes go through untouched.</summary>
    TlsPassthrough,

    /// <summary>TLS listener, tls.mode Terminate: the gateway completes the handshake, then streams plaintext.</summary>
    TlsTerminate,

    /// <summary>TCP listener: no TLS, no hostname; one TCPRoute takes every connection.</summary>
    Tcp,
}

/// <summary>A TLSRoute or TCPRoute as served on one listener: its weighted backends (rules have no matches).</summary>
public sealed class StreamRoute
{
    public StreamRoute(RouteRef route, BackendSet backends)
    {
        Route = route;
        Backends = backends;
    }

    public RouteRef Route { get; }

    public BackendSet Backends { get; }
}

/// <summary>
/// What a TLS or TCP listener routes: for TLS, the route by SNI (the listener/route hostname intersection, the
/// most specific name winning, as for HTTP hosts); for TCP, the one route that owns the listener.
/// </summary>
public sealed class StreamListenerModel
{
    public StreamListenerModel(StreamMode mode, HostnameTable<StreamRoute> routesBySni, StreamRoute? tcpRoute = null)
    {
        Mode = mode;
        RoutesBySni = routesBySni;
        TcpRoute = tcpRoute;
    }

    public StreamMode Mode { get; }

    public HostnameTable<StreamRoute> RoutesBySni { get; }

    public StreamRoute? TcpRoute { get; }

    /// <summary>The route for a connection: by <paramref name="sni"/> on TLS listeners; the TCPRoute on TCP ones.</summary>
    public StreamRoute? Find(ReadOnlySpan<char> sni) => Mode == StreamMode.Tcp ? TcpRoute : RoutesBySni.Find(sni);
}
