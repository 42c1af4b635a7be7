using System.Net;
using System.Net.Sockets;
using Meshway.DataPlane.Balancing;
using Meshway.DataPlane.Listeners;
using Meshway.DataPlane.Metrics;
using Meshway.DataPlane.Snapshots;
using Meshway.Routing.Model;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Streams;

/// <summary>
/// TLS and TCP listeners (TLSRoute, TCPRoute) as Kestrel connection middleware. Kestrel still owns the socket
/// (accept loop, pooled pipes, bind errors, drain on removal, the same reconcile as HTTP), and on a TLS socket
/// the ClientHello's SNI decides per connection:
/// <list type="bullet">
/// <item>a TLS Passthrough listener: splice the raw bytes (ClientHello included) to the route's backend;</item>
/// <item>a TLS Terminate listener: complete the handshake here with an SslStream over the connection (the
///   listener's certificate, no ALPN: the bytes are not HTTP), then splice plaintext. Kestrel's own TLS is
///   not used for this because it always advertises the HTTP ALPN protocols;</item>
/// <item>an HTTPS listener on the same port (mixed mode): hand on to Kestrel's HTTPS and the HTTP pipeline.</item>
/// </list>
/// The route is read from the snapshot current when the connection arrives; a later snapshot applies to later
/// connections only, an open splice keeps its backend. Bad input (no ClientHello in time, a truncated one,
/// non-TLS bytes, no SNI, an SNI nobody serves) closes that connection with a log line and a counted reason;
/// the listener keeps serving the others.
/// </summary>
internal sealed partial class StreamProxy
{
    // Keyed by certificate object: a snapshot that keeps a certificate keeps its context; a dropped one is collected.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<System.Security.Cryptography.X509Certificates.X509Certificate2, System.Net.Security.SslStreamCertificateContext> _contexts = new();

    private readonly SnapshotStore _store;
    private readonly EndpointBalancer _balancer;
    private readonly StreamMetrics _metrics;
    private readonly ILogger _logger;

    public StreamProxy(SnapshotStore store, EndpointBalancer balancer, GatewayMetrics metrics, ILogger logger)
    {
        _store = store;
        _balancer = balancer;
        _metrics = metrics.Streams;
        _logger = logger;
    }

    /// <summary>How long a client may take to send its whole ClientHello.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long connecting to one backend endpoint may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First middleware of a TLS socket: reads the ClientHello (without consuming it) and routes by SNI.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> BeforeTls(BindingSlot slot) => next => connection => OnTlsConnectionAsync(connection, next, slot);

    /// <summary>The only middleware of a TCP socket: every connection goes to the listener's TCPRoute.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> Tcp(BindingSlot slot) => _ => connection =>
    {
        var binding = slot.Resolve(_store.Current);
        var listener = binding is { Listeners.Length: > 0 } ? binding.Listeners[0] : null;
        if (listener?.Stream?.TcpRoute is not { } route)
        {
            Refuse(connection, slot, StreamRefusal.NoRoute, "the TCP listener has no accepted TCPRoute");
            return Task.CompletedTask;
        }

        return SpliceAsync(connection, listener, route, StreamMode.Tcp);
    };

    private async Task OnTlsConnectionAsync(ConnectionContext connection, ConnectionDelegate next, BindingSlot slot)
    {
        var (status, sni) = await PeekClientHelloAsync(connection, slot);
        if (status is null)
        {
            return; // refused while reading
        }

        var binding = slot.Resolve(_store.Current);
        if (binding is null)
        {
            Refuse(connection, slot, StreamRefusal.NoListener, "the socket is being removed");
            return;
        }

        switch (status)
        {
            case ClientHelloStatus.NotTls:
                Refuse(connection, slot, StreamRefusal.NotTls, "the first bytes are not a TLS handshake");
                return;
            case ClientHelloStatus.Malformed:
                await RefuseWithAlertAsync(connection, slot, StreamRefusal.Malformed, "the ClientHello cannot be parsed", DecodeError);
                return;
            case ClientHelloStatus.NoSni:
                if (HasHttpsListener(binding))
                {
                    await next(connection); // HTTPS keeps its behaviour for SNI-less clients (first certificate)
                    return;
                }

                await RefuseWithAlertAsync(connection, slot, StreamRefusal.NoSni, "the ClientHello has no SNI; TLS listeners route by SNI only", UnrecognizedName);
                return;
        }

        var listener = binding.ListenersByHost.Find(sni);
        if (listener is null)
        {
            await RefuseWithAlertAsync(connection, slot, StreamRefusal.NoListener, $"no listener serves SNI \"{sni}\"", UnrecognizedName);
            return;
        }

        if (listener.Stream is not { } stream)
        {
            await next(connection); // an HTTPS listener: Kestrel's TLS, then the HTTP pipeline
            return;
        }

        if (stream.Find(sni) is not { } route)
        {
            await RefuseWithAlertAsync(connection, slot, StreamRefusal.NoRoute, $"listener {listener.Name} has no TLSRoute for SNI \"{sni}\"", UnrecognizedName);
            return;
        }

        if (stream.Mode == StreamMode.TlsTerminate)
        {
            await TerminateAsync(connection, listener, route);
            return;
        }

        await SpliceAsync(connection, listener, route, StreamMode.TlsPassthrough);
    }

    /// <summary>
    /// Waits until the buffered bytes hold a whole ClientHello, leaving them unconsumed for the TLS handshake or
    /// the passthrough splice. Returns a null status when the connection was refused (timeout, early close).
    /// </summary>
    private async Task<(ClientHelloStatus? Status, string? Sni)> PeekClientHelloAsync(ConnectionContext connection, BindingSlot slot)
    {
        var input = connection.Transport.Input;
        // Not linked to ConnectionClosed: Kestrel fires that on the client's FIN too, and a client that sends a
        // ClientHello and half-closes must still be routed (or, if the hello is cut short, refused as truncated).
        using var timeout = new CancellationTokenSource(HelloTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var status = ClientHello.Read(buffer, out var sni);
                if (status != ClientHelloStatus.Incomplete)
                {
                    input.AdvanceTo(buffer.Start);
                    return (status, sni);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start);
                    Refuse(connection, slot, StreamRefusal.Truncated, $"the client closed after {buffer.Length} bytes of an incomplete ClientHello");
                    return (null, null);
                }

                // Nothing consumed, everything examined: the next read waits for more bytes.
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            Refuse(connection, slot, StreamRefusal.HelloTimeout, $"no complete ClientHello within {HelloTimeout.TotalSeconds:0.#} s");
            return (null, null);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Refuse(connection, slot, StreamRefusal.Truncated, "the connection failed before the ClientHello was complete: " + ex.Message);
            return (null, null);
        }
    }

    private async Task TerminateAsync(ConnectionContext connection, ListenerModel listener, StreamRoute route)
    {
        if (listener.Certificate is not { } certificate)
        {
            Refuse(connection, listener, StreamRefusal.NoRoute, "the TLS Terminate listener has no certificate");
            return;
        }

        await using var tls = new System.Net.Security.SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
        using (var timeout = new CancellationTokenSource(HelloTimeout))
        {
            try
            {
                await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _contexts.GetValue(certificate, static c => System.Net.Security.SslStreamCertificateContext.Create(c, additionalCertificates: null, offline: true)),
                    ClientCertificateRequired = false,
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                }, timeout.Token);
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                Refuse(connection, listener, StreamRefusal.Malformed, "TLS handshake failed: " + ex.Message);
                return;
            }
        }

        var (socket, endpoint) = await ConnectAsync(connection, listener, route);
        if (socket is null)
        {
            return;
        }

        _metrics.Opened(StreamMode.TlsTerminate);
        endpoint!.Begin();
        try
        {
            using (socket)
            {
                await StreamSplicer.RunAsync(tls, socket, _metrics, StreamMode.TlsTerminate);
            }
        }
        finally
        {
            endpoint.End();
            _metrics.Closed(StreamMode.TlsTerminate);
        }
    }

    private static bool HasHttpsListener(PortBinding binding)
    {
        foreach (var listener in binding.Listeners)
        {
            if (listener.Stream is null)
            {
                return true;
            }
        }

        return false;
    }

    private async Task SpliceAsync(ConnectionContext connection, ListenerModel listener, StreamRoute route, StreamMode mode)
    {
        var (socket, endpoint) = await ConnectAsync(connection, listener, route);
        if (socket is null)
        {
            return;
        }

        _metrics.Opened(mode);
        endpoint!.Begin();
        try
        {
            using (socket)
            {
                await StreamSplicer.RunAsync(connection.Transport, socket, _metrics, mode);
            }
        }
        finally
        {
            endpoint.End();
            _metrics.Closed(mode);
        }
    }

    /// <summary>Picks a backend by weight and an endpoint by least connections; tries up to three endpoints.</summary>
    private async Task<(Socket? Socket, EndpointState? Endpoint)> ConnectAsync(ConnectionContext connection, ListenerModel listener, StreamRoute route)
    {
        var backend = route.Backends.Pick(Random.Shared.NextDouble());
        if (backend is null || backend.Invalid)
        {
            Refuse(connection, listener, StreamRefusal.NoBackend,
                $"{route.Route.Kind} {route.Route} has no usable backend" + (backend is null ? "" : $" ({backend.Name} is not resolved)"));
            return (null, null);
        }

        if (backend.Endpoints.Length == 0)
        {
            Refuse(connection, listener, StreamRefusal.NoEndpoint, $"backend {backend.Name} has no ready endpoint");
            return (null, null);
        }

        var attempts = Math.Min(3, backend.Endpoints.Length);
        string? lastError = null;
        for (var i = 0; i < attempts; i++)
        {
            var endpoint = _balancer.Choose(backend)!;
            if (!IPAddress.TryParse(endpoint.Endpoint.Address, out var address))
            {
                lastError = $"{endpoint.Endpoint.Key} is not an IP endpoint";
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            // Only the timeout: a client that already half-closed (ConnectionClosed fired) still gets its answer.
            using var timeout = new CancellationTokenSource(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Endpoint.Port), timeout.Token);
                return (socket, endpoint);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                lastError = $"{endpoint.Endpoint.Key}: {(ex is OperationCanceledException ? "timed out" : ex.Message)}";
            }
        }

        Refuse(connection, listener, StreamRefusal.ConnectFailed, $"backend {backend.Name}: no endpoint accepted the connection ({lastError})");
        return (null, null);
    }

    // TLS alert descriptions (RFC 8446 §6.2) sent, fatal, to a client whose ClientHello we read but cannot route.
    private const byte DecodeError = 50;
    private const byte UnrecognizedName = 112;

    /// <summary>
    /// Refuses a client that sent a ClientHello with a fatal TLS alert, so it reports why (openssl: "tlsv1
    /// unrecognized name") instead of an unexplained reset. The record is a plain TLS 1.2 alert, which every
    /// TLS client reads before its ServerHello.
    /// </summary>
    private async Task RefuseWithAlertAsync(ConnectionContext connection, BindingSlot slot, StreamRefusal reason, string detail, byte description)
    {
        _metrics.Refused(reason);
        LogRefused(_logger, slot.Key, connection.RemoteEndPoint?.ToString() ?? "?", reason, detail);
        try
        {
            await connection.Transport.Output.WriteAsync(new byte[] { 21, 3, 3, 0, 2, 2, description });
            await connection.Transport.Output.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            connection.Abort(); // the client is gone already
        }
    }

    private void Refuse(ConnectionContext connection, BindingSlot slot, StreamRefusal reason, string detail)
    {
        _metrics.Refused(reason);
        LogRefused(_logger, slot.Key, connection.RemoteEndPoint?.ToString() ?? "?", reason, detail);
        connection.Abort();
    }

    private void Refuse(ConnectionContext connection, ListenerModel listener, StreamRefusal reason, string detail)
    {
        _metrics.Refused(reason);
        LogRefused(_logger, listener.Gateway + "/" + listener.Name, connection.RemoteEndPoint?.ToString() ?? "?", reason, detail);
        connection.Abort();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Closed connection on {Listener} from {Client}: {Reason}: {Detail}")]
    private static partial void LogRefused(ILogger logger, string listener, string client, StreamRefusal reason, string detail);
}
