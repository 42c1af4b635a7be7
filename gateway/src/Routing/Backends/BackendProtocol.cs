namespace Meshway.Routing.Backends;

/// <summary>How to speak to a backend, from the Service port's appProtocol.</summary>
public enum BackendProtocol
{
    /// <summary>HTTP/1.1 (the default).</summary>
    Http1,

    /// <summary>HTTP/2 without TLS (appProtocol kubernetes.io/h2c).</summary>
    H2c,

    /// <summary>HTTP/1.1 with WebSocket upgrades (appProtocol kubernetes.io/ws).</summary>
    WebSocket,
}
