using System.Diagnostics;
using System.Net;
using Meshway.Routing.Backends;

namespace Meshway.DataPlane.Transport;

/// <summary>
/// Plaintext transport: one pooled <see cref="SocketsHttpHandler"/> for every endpoint (it keeps a
/// connection pool per authority), with the proxy-safe settings: no proxy, no redirects, no cookies, no
/// decompression, no activity header injection. HTTP/1.1 and h2c differ only in the request version the
/// pipeline asks for, so both share the handler.
/// </summary>
public sealed class PlaintextTransport : IBackendTransport, IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    public PlaintextTransport(TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendProtocol protocol) => _invoker;

    public void Dispose() => _invoker.Dispose();
}
