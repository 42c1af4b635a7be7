using System.Net;
using System.Net.Security;
using Meshway.DataPlane.Balancing;
using Meshway.DataPlane.Metrics;
using Meshway.DataPlane.Pipeline;
using Meshway.DataPlane.Snapshots;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Tls;
using Meshway.Waypoint.Gamma;
using Meshway.Waypoint.Http;
using Meshway.Waypoint.Model;
using Meshway.Waypoint.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// HBONE inbound for one waypoint Gateway: Kestrel on its address:15008 with mesh TLS (TLS 1.3, our
/// workload certificate, client certificate required and in our trust domain, ALPN h2), HTTP/2 plain
/// CONNECT only. Each accepted tunnel is handed, as a connection, to a second, socket-less Kestrel server
/// (<see cref="TunnelListenerFactory"/>) that parses HTTP/1.1 or h2c inside it and runs the waypoint's
/// request handler with the target Service and the client's SPIFFE ID as connection features; TCP
/// Service ports are proxied as bytes. Why a second Kestrel rather than a loopback hop: no extra socket,
/// no port to protect from bypass, and the client identity never has to be re-encoded into headers.
/// </summary>
public sealed partial class HboneInboundServer : IAsyncDisposable
{
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];
    private static readonly IPEndPoint Http1Endpoint = new(IPAddress.Loopback, 1);
    private static readonly IPEndPoint H2cEndpoint = new(IPAddress.Loopback, 2);
    private static readonly TimeSpan SniffTimeout = TimeSpan.FromSeconds(1);
    private static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private readonly WaypointListener _listener;
    private readonly WaypointStore _store;
    private readonly MeshTlsServer _tls;
    private readonly WaypointTransport _transport;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly TunnelListenerFactory _tunnels = new();
    private WebApplication? _public;
    private WebApplication? _inner;
    private long _connectionId;
    private long _accepted;
    private long _badRequests;
    private long _unknownTargets;
    private long _handshakeFailures;
    private long _upstreamFailures;
    private SslServerAuthenticationOptions? _baseOptions;
    private SslServerAuthenticationOptions? _countingOptions;

    /// <param name="metrics">where request metrics go (the executable's, so /metrics shows mesh traffic); a private set when null.</param>
    public HboneInboundServer(
        WaypointListener listener, WaypointStore store, MeshTlsServer tls, WaypointTransport transport, ILoggerFactory loggers,
        GatewayMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(loggers);
        _listener = listener;
        _store = store;
        _tls = tls;
        _transport = transport;
        _loggers = loggers;
        _logger = loggers.CreateLogger<HboneInboundServer>();
        _metrics = metrics ?? new GatewayMetrics();
    }

    /// <summary>Tunnels accepted (CONNECT answered 200).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Requests refused with 400 because they were not a plain CONNECT.</summary>
    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <summary>CONNECTs refused because no Service this waypoint serves has that VIP:port.</summary>
    public long UnknownTargets => Interlocked.Read(ref _unknownTargets);

    /// <summary>TLS handshakes refused: no client certificate, not from the mesh roots, or another trust domain.</summary>
    public long HandshakeFailures => Interlocked.Read(ref _handshakeFailures);

    /// <summary>TCP tunnels whose endpoint could not be reached.</summary>
    public long UpstreamFailures => Interlocked.Read(ref _upstreamFailures);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // The inner server: HTTP inside tunnels. Its "sockets" are the queues of TunnelListenerFactory.
        var inner = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-waypoint-tunnels" });
        inner.WebHost.UseKestrelCore();
        inner.Logging.ClearProviders();
        inner.Services.AddSingleton<IConnectionListenerFactory>(_tunnels);
        inner.Services.AddSingleton(_loggers);
        inner.Services.AddHttpForwarder();
        inner.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(Http1Endpoint, l => l.Protocols = HttpProtocols.Http1);
            kestrel.Listen(H2cEndpoint, l => l.Protocols = HttpProtocols.Http2);
        });
        var innerApp = inner.Build();
        // The shared request pipeline; its own snapshot store stays empty because every tunnel names its binding.
        var pipeline = new GatewayPipeline(
            new SnapshotStore(), innerApp.Services.GetRequiredService<IHttpForwarder>(), _transport, new EndpointBalancer(),
            _metrics, _loggers.CreateLogger<GatewayPipeline>());
        var handler = new WaypointHttpHandler(pipeline);
        innerApp.Run(handler.HandleAsync);
        await innerApp.StartAsync(cancellationToken);
        _inner = innerApp;

        // The public server: mesh TLS + HTTP/2 CONNECT on address:15008.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-waypoint-hbone" });
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;        // a tunnel is a byte stream, not a bounded body
            kestrel.Limits.MinRequestBodyDataRate = null;    // tunnels may idle
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 100; // as Envoy's waypoint and ztunnel
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            foreach (var address in _listener.Addresses)
            {
                kestrel.Listen(IPAddress.Parse(address), _listener.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult(TlsOptions()) });
                });
            }
        });
        var app = builder.Build();
        app.Run(ServeAsync);
        await app.StartAsync(cancellationToken);
        _public = app;
        Log.Listening(_logger, _listener.Key, string.Join(", ", _listener.Addresses), _listener.Port);
        if (_listener.ProxyPort is { } proxyPort)
        {
            StartSandwich(proxyPort);
        }
    }

    /// <summary>The mesh TLS options of the current certificate, with a validation callback that also counts refusals.</summary>
    private SslServerAuthenticationOptions TlsOptions()
    {
        var options = _tls.GetOptions();
        if (ReferenceEquals(options, Volatile.Read(ref _baseOptions)) && Volatile.Read(ref _countingOptions) is { } cached)
        {
            return cached;
        }

        var validate = options.RemoteCertificateValidationCallback!;
        var counting = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = options.ServerCertificateContext,
            ClientCertificateRequired = options.ClientCertificateRequired,
            EnabledSslProtocols = options.EnabledSslProtocols,
            ApplicationProtocols = options.ApplicationProtocols,
            CertificateRevocationCheckMode = options.CertificateRevocationCheckMode,
            CertificateChainPolicy = options.CertificateChainPolicy,
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                if (validate(sender, certificate, chain, errors))
                {
                    return true;
                }

                Interlocked.Increment(ref _handshakeFailures);
                return false;
            },
        };
        Volatile.Write(ref _countingOptions, counting);
        Volatile.Write(ref _baseOptions, options);
        return counting;
    }

    /// <summary>
    /// One request on the HBONE port:
    /// 1. only a plain CONNECT (no :path, no :protocol) is served, anything else is a 400;
    /// 2. the :authority must be a VIP:port of a Service bound to this waypoint, or (waypoint-for workload/all)
    ///    a podIP:port of a workload bound to it, else 400 (as ztunnel);
    /// 3. the client's SPIFFE ID from its certificate (the TLS handshake already checked chain and trust domain);
    /// 4. 200, then the tunnel goes to the inner HTTP server, or is proxied as bytes for a TCP port;
    /// 5. the CONNECT stream ends when the tunnel's connection closes or the client goes away.
    /// </summary>
    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsConnect(request.Method) || request.Path.HasValue || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true)
        {
            Interlocked.Increment(ref _badRequests);
            Log.BadRequest(_logger, request.Method, request.Host.Value);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var authority = request.Host.Value ?? "";
        var snapshot = _store.Current;
        var normalized = NormalizeAuthority(authority);
        var target = snapshot.FindService(normalized);
        if (target is null || target.Waypoint != _listener.Key)
        {
            // waypoint-for workload/all: a pod address of a workload bound to this waypoint.
            target = snapshot.FindWorkload(normalized, _listener.Key);
        }

        if (target is null)
        {
            Interlocked.Increment(ref _unknownTargets);
            Log.UnknownTarget(_logger, authority, _listener.Key);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var certificate = context.Connection.ClientCertificate;
        var ids = certificate is null ? [] : SpiffeId.FromCertificate(certificate);
        if (ids.Count != 1)
        {
            Interlocked.Increment(ref _badRequests);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var tunnel = new HboneTunnelFeature
        {
            Target = target,
            Snapshot = snapshot,
            Peer = ids[0],
            Remote = context.Connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, context.Connection.RemotePort) : null,
            Forwarded = request.Headers["forwarded"].ToString() is { Length: > 0 } f ? f : null,
            Baggage = request.Headers["baggage"].ToString() is { Length: > 0 } b ? b : null,
            TraceParent = request.Headers["traceparent"].ToString() is { Length: > 0 } t ? t : null,
        };

        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted); // Kestrel's HTTP/2 sends HEADERS on flush
        Interlocked.Increment(ref _accepted);
        Log.Accepted(_logger, authority, tunnel.Peer.ToString(), target.DisplayName);
        if (target.Protocol == ServiceProtocol.Tcp
            || (target.Protocol == ServiceProtocol.Detect && !await LooksLikeHttpAsync(context.Request.BodyReader, context.RequestAborted)))
        {
            await ProxyBytesAsync(context.Request.Body, context.Response.Body, target, context.Abort, context.RequestAborted);
            return;
        }

        await ServeHttpAsync(context.Request.Body, context.Response.Body, tunnel, context.RequestAborted);
    }

    /// <summary>
    /// For an undeclared (workload) port: waits up to <see cref="SniffTimeout"/> for the client's first bytes
    /// without consuming them. HTTP when they start like a request line (an upper-case method token and a
    /// space, which includes the HTTP/2 preface "PRI * ..."); bytes otherwise, and when the client sends
    /// nothing first (server-first protocols such as MySQL).
    /// </summary>
    private static async Task<bool> LooksLikeHttpAsync(System.IO.Pipelines.PipeReader reader, CancellationToken aborted)
    {
        var gate = 0;
        using var timer = new CancellationTokenSource(SniffTimeout);
        System.IO.Pipelines.ReadResult result;
        using (timer.Token.Register(() =>
        {
            if (Interlocked.Exchange(ref gate, 1) == 0)
            {
                reader.CancelPendingRead();
            }
        }))
        {
            result = await reader.ReadAsync(aborted);
        }

        if (Interlocked.Exchange(ref gate, 1) == 1 && !result.IsCanceled)
        {
            // The timer fired just after the data arrived: its pending cancel must not hit the next reader.
            reader.AdvanceTo(result.Buffer.Start);
            result = await reader.ReadAsync(aborted);
        }

        var buffer = result.Buffer;
        var http = false;
        if (buffer.Length > 0)
        {
            Span<byte> head = stackalloc byte[17];
            var n = (int)Math.Min(buffer.Length, head.Length);
            System.Buffers.BuffersExtensions.CopyTo(buffer.Slice(0, n), head);
            var i = 0;
            while (i < n && head[i] is >= (byte)'A' and <= (byte)'Z')
            {
                i++;
            }

            http = i > 0 && (i == n || head[i] == (byte)' ');
        }

        reader.AdvanceTo(buffer.Start); // nothing consumed: the HTTP server or the byte proxy reads it all
        return http;
    }

    /// <summary>Hands one tunnel's bytes (HBONE stream or sandwiched connection) to the inner HTTP server as a connection.</summary>
    private async Task ServeHttpAsync(Stream input, Stream output, HboneTunnelFeature tunnel, CancellationToken aborted)
    {
        // Peek far enough to tell an HTTP/2 preface (h2c prior knowledge) from an HTTP/1.1 request line.
        var peeked = new byte[Http2Preface.Length];
        var count = 0;
        while (count < peeked.Length && peeked.AsSpan(0, count).SequenceEqual(Http2Preface[..count]))
        {
            var read = await input.ReadAsync(peeked.AsMemory(count), aborted);
            if (read == 0)
            {
                break;
            }

            count += read;
        }

        var h2c = count == peeked.Length && peeked.AsSpan().SequenceEqual(Http2Preface);
        var id = "hbone-" + Interlocked.Increment(ref _connectionId);
        var local = new IPEndPoint(IPAddress.Parse(tunnel.Target.Vip), tunnel.Target.Port);
        var connection = new TunnelConnection(id, new PrefixedStream(peeked.AsMemory(0, count), input), output, tunnel.Remote, local, tunnel);
        if (!_tunnels.TryDispatch(h2c ? H2cEndpoint : Http1Endpoint, connection))
        {
            return; // shutting down
        }

        using var registration = aborted.Register(static c => ((TunnelConnection)c!).Abort(new ConnectionAbortedException("HBONE stream closed")), connection);
        await connection.Closed;
    }

    private async Task ProxyBytesAsync(Stream input, Stream output, ServiceTarget target, Action abort, CancellationToken aborted)
    {
        var endpoints = target.Service.Endpoints;
        if (endpoints.Length == 0)
        {
            Interlocked.Increment(ref _upstreamFailures);
            abort();
            return;
        }

        var endpoint = endpoints[Random.Shared.Next(endpoints.Length)];
        Stream upstream;
        try
        {
            upstream = await _transport.ConnectAsync(endpoint, aborted);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            Interlocked.Increment(ref _upstreamFailures);
            Log.TcpUpstreamFailed(_logger, endpoint.Key, target.DisplayName, ex.Message);
            abort();
            return;
        }

        await using (upstream)
        {
            var toUpstream = CopyAsync(input, upstream, halfClose: true, aborted);
            var toClient = CopyAsync(upstream, output, halfClose: false, aborted);
            await Task.WhenAll(toUpstream, toClient);
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, bool halfClose, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, cancellationToken);
            if (halfClose)
            {
                switch (to)
                {
                    case MeshIntegration.Hbone.HboneStream hbone:
                        await hbone.CompleteWritesAsync(cancellationToken);
                        break;
                    case System.Net.Sockets.NetworkStream network:
                        network.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // One side went away: the tunnel ends.
        }
    }

    /// <summary>Authorities compare in the canonical address form the snapshot is keyed by.</summary>
    private static string NormalizeAuthority(string authority)
    {
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), out var port))
        {
            return authority;
        }

        var host = authority[..colon].Trim('[', ']');
        return IPAddress.TryParse(host, out var ip) ? WaypointTranslator.Authority(ip, port) : authority;
    }

    public async ValueTask DisposeAsync()
    {
        await StopSandwichAsync();
        if (_public is not null)
        {
            await _public.StopAsync();
            await _public.DisposeAsync();
        }

        if (_inner is not null)
        {
            await _inner.StopAsync();
            await _inner.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Waypoint {Waypoint}: HBONE inbound listening on {Addresses} port {Port}")]
        public static partial void Listening(ILogger logger, string waypoint, string addresses, int port);

        [LoggerMessage(2, LogLevel.Warning, "HBONE inbound: refused {Method} {Authority} with 400: only HTTP/2 CONNECT is served")]
        public static partial void BadRequest(ILogger logger, string method, string? authority);

        [LoggerMessage(3, LogLevel.Warning, "HBONE inbound: refused CONNECT {Authority}: no Service bound to waypoint {Waypoint} has that address")]
        public static partial void UnknownTarget(ILogger logger, string authority, string waypoint);

        [LoggerMessage(4, LogLevel.Debug, "HBONE inbound: tunnel {Authority} from {Peer} to {Service}")]
        public static partial void Accepted(ILogger logger, string authority, string peer, string service);

        [LoggerMessage(5, LogLevel.Warning, "HBONE inbound: TCP endpoint {Endpoint} of {Service} unreachable: {Reason}")]
        public static partial void TcpUpstreamFailed(ILogger logger, string endpoint, string service, string reason);
    }
}
