namespace Meshway.Routing.Model;

public enum ListenerProtocol
{
    Http,
    Https,

    /// <summary>
    /// A socket carrying at least one TLS listener (TLSRoute, passthrough or terminate). HTTPS listeners may share
    /// it (the spec counts HTTPS and TLS listeners with distinct hostnames as compatible): the ClientHello's SNI
    /// picks the listener, so one port can serve passthrough, TLS-terminated streams and HTTPS (mixed mode).
    /// </summary>
    Tls,

    /// <summary>A socket of one TCP listener: every connection goes to its TCPRoute's backends.</summary>
    Tcp,
}
