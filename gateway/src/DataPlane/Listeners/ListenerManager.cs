using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshway.DataPlane.Metrics;
using Meshway.DataPlane.Pipeline;
using Meshway.DataPlane.Snapshots;
using Meshway.DataPlane.Streams;
using Meshway.Routing.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Listeners;

/// <summary>A listener socket could not be opened; the rest of the config keeps serving.</summary>
public sealed record ListenerBindFailure(string BindingKey, string Reason);

/// <summary>
/// Keeps one Kestrel server per socket (address:port) of the current snapshot: starts servers for new
/// bindings, drains and closes servers of removed ones, and leaves unchanged ones alone (their requests
/// simply see the new snapshot). A socket that cannot be opened is logged, counted and reported through
/// <see cref="BindFailed"/>; it is retried at the next reconcile.
/// </summary>
public sealed partial class ListenerManager : IAsyncDisposable
{
    private readonly SnapshotStore _store;
    private readonly GatewayPipeline _pipeline;
    private readonly StreamProxy _streams;
    private readonly GatewayMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeSpan _drainTimeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, RunningServer> _servers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _failed = new(StringComparer.OrdinalIgnoreCase);

    // Keyed by certificate object: a snapshot that keeps a certificate keeps its context; a dropped one is collected.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, SslStreamCertificateContext> _certificateContexts = new();

    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    internal ListenerManager(
        SnapshotStore store,
        GatewayPipeline pipeline,
        GatewayMetrics metrics,
        ILoggerFactory loggerFactory,
        TimeSpan? drainTimeout = null,
        StreamProxy? streams = null)
    {
        _store = store;
        _pipeline = pipeline;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ListenerManager>();
        _drainTimeout = drainTimeout ?? TimeSpan.FromSeconds(10);
        _streams = streams ?? new StreamProxy(store, new Balancing.EndpointBalancer(), metrics, loggerFactory.CreateLogger<StreamProxy>());
    }

    /// <summary>Raised for each socket that failed to open during a reconcile.</summary>
    public event Action<ListenerBindFailure>? BindFailed;

    /// <summary>Keys ("address:port") of the sockets currently open.</summary>
    public IReadOnlyCollection<string> ActiveBindings
    {
        get
        {
            lock (_servers)
            {
                return _servers.Keys.ToArray();
            }
        }
    }

    /// <summary>Bindings of the last reconcile that could not be opened, with why.</summary>
    public IReadOnlyDictionary<string, string> FailedBindings
    {
        get
        {
            lock (_servers)
            {
                return new Dictionary<string, string>(_failed);
            }
        }
    }

    /// <summary>
    /// Brings the running servers in line with <paramref name="snapshot"/>. New servers start before removed
    /// ones drain, so a binding that moves never leaves a gap longer than its own start.
    /// </summary>
    public async Task ReconcileAsync(RoutingSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = new Dictionary<string, PortBinding>(StringComparer.OrdinalIgnoreCase);
            foreach (var binding in snapshot.Bindings)
            {
                wanted.TryAdd(binding.Key, binding);
            }

            var toStop = new List<RunningServer>();
            lock (_servers)
            {
                foreach (var (key, server) in _servers)
                {
                    // A protocol change (HTTP <-> HTTPS) needs a new socket configuration.
                    if (!wanted.TryGetValue(key, out var binding) || binding.Protocol != server.Slot.Protocol)
                    {
                        toStop.Add(server);
                    }
                }

                foreach (var server in toStop)
                {
                    _servers.Remove(server.Slot.Key);
                }

                _failed.Clear();
            }

            // Stop first when the same socket is rebound with another protocol, else the new bind would fail.
            var rebinding = toStop.Where(s => wanted.ContainsKey(s.Slot.Key)).ToList();
            foreach (var server in rebinding)
            {
                await StopAsync(server);
            }

            foreach (var (key, binding) in wanted)
            {
                bool running;
                lock (_servers)
                {
                    running = _servers.ContainsKey(key);
                }

                if (!running)
                {
                    await StartAsync(binding, cancellationToken);
                }
            }

            await Task.WhenAll(toStop.Except(rebinding).Select(StopAsync));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync(PortBinding binding, CancellationToken cancellationToken)
    {
        var slot = new BindingSlot(binding.Address, binding.Port, binding.Protocol);
        if (!IPAddress.TryParse(binding.Address, out var address))
        {
            ReportFailure(slot.Key, "'" + binding.Address + "' is not an IP address");
            return;
        }

        // The empty builder reads no appsettings/environment config and starts no file watchers: one of these
        // exists per socket, and none of that applies to a gateway listener.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-listener" });
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(_loggerFactory));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _drainTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // h2c connections look like TLS to Kestrel (see H2cDetection); their :scheme "http" must still be accepted.
            kestrel.AllowAlternateSchemes = true;
            kestrel.Limits.MaxRequestBodySize = null; // a proxy streams bodies; size policy belongs to routes
            kestrel.Listen(address, binding.Port, listen =>
            {
                // Over TLS, ALPN chooses h2 or http/1.1; in plaintext, H2cDetection recognises HTTP/2 prior knowledge.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => async connection =>
                {
                    _metrics.ConnectionOpened();
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        _metrics.ConnectionClosed();
                    }
                });
                if (binding.Protocol == ListenerProtocol.Http)
                {
                    listen.Use(H2cDetection.Middleware);
                }
                else if (binding.Protocol == ListenerProtocol.Tcp)
                {
                    // TCPRoute: the connection is spliced to the backend and never reaches HTTP.
                    listen.Use(_streams.Tcp(slot));
                }
                else
                {
                    // A TLS socket routes by SNI first: TLSRoute connections (passthrough, terminate) are handled
                    // there; HTTPS SNIs (mixed mode) go on to Kestrel's TLS and the HTTP pipeline.
                    if (binding.Protocol == ListenerProtocol.Tls)
                    {
                        listen.Use(_streams.BeforeTls(slot));
                    }

                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = context => ValueTask.FromResult(ServerOptions(slot, context.ClientHelloInfo.ServerName)),
                    });
                }
            });
        });

        var app = builder.Build();
        var pipeline = _pipeline;
        app.Run(context => pipeline.HandleAsync(context, slot));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync();
            ReportFailure(slot.Key, ex.Message);
            return;
        }

        lock (_servers)
        {
            _servers[slot.Key] = new RunningServer(slot, app);
        }

        LogStarted(_logger, slot.Key, binding.Protocol);
    }

    /// <summary>
    /// TLS settings for one handshake: the certificate of the listener chosen by SNI from the snapshot current
    /// at handshake time, as a cached <see cref="SslStreamCertificateContext"/> (building one means building
    /// the chain, too costly per handshake), ALPN h2 then http/1.1, and that listener's client certificate
    /// validation (spec.tls.frontend), if any.
    /// </summary>
    private SslServerAuthenticationOptions ServerOptions(BindingSlot slot, string? sni)
    {
        var listener = SelectListener(slot, sni);
        var certificate = listener?.Certificate;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate is null ? null : _certificateContexts.GetValue(certificate, static c => SslStreamCertificateContext.Create(c, additionalCertificates: null, offline: true)),
            ApplicationProtocols = Alpn,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (listener?.ClientValidation is { } validation)
        {
            ClientCertificateValidator.Configure(options, validation);
        }

        return options;
    }

    /// <summary>The listener answering a TLS handshake, by SNI, from the snapshot current at handshake time.</summary>
    private ListenerModel? SelectListener(BindingSlot slot, string? sni)
    {
        var binding = slot.Resolve(_store.Current);
        if (binding is null)
        {
            return null;
        }

        var listener = binding.ListenersByHost.Find(sni ?? "");
        if (listener?.Certificate is not null)
        {
            return listener;
        }

        // No SNI (or no listener for it): the first listener with a certificate, so IP-address clients get an answer.
        var listeners = binding.Listeners;
        for (var i = 0; i < listeners.Length; i++)
        {
            // A TLS (stream) listener's certificate is not an HTTPS answer.
            if (listeners[i].Certificate is not null && listeners[i].Stream is null)
            {
                return listeners[i];
            }
        }

        return null;
    }

    private void ReportFailure(string key, string reason)
    {
        lock (_servers)
        {
            _failed[key] = reason;
        }

        _metrics.ListenerBindFailed(key);
        LogBindFailed(_logger, key, reason);
        BindFailed?.Invoke(new ListenerBindFailure(key, reason));
    }

    private async Task StopAsync(RunningServer server)
    {
        // Kestrel stops accepting, lets in-flight requests finish until the token fires, then closes.
        using var drain = new CancellationTokenSource(_drainTimeout);
        try
        {
            await server.App.StopAsync(drain.Token);
        }
        catch (Exception ex)
        {
            LogStopFailed(_logger, server.Slot.Key, ex.Message);
        }

        await server.App.DisposeAsync();
        LogStopped(_logger, server.Slot.Key);
    }

    public async ValueTask DisposeAsync()
    {
        List<RunningServer> all;
        lock (_servers)
        {
            all = [.. _servers.Values];
            _servers.Clear();
        }

        await Task.WhenAll(all.Select(StopAsync));
        _gate.Dispose();
    }

    private sealed record RunningServer(BindingSlot Slot, WebApplication App);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Listening on {Binding} ({Protocol})")]
    private static partial void LogStarted(ILogger logger, string binding, ListenerProtocol protocol);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Closed listener {Binding}")]
    private static partial void LogStopped(ILogger logger, string binding);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Cannot listen on {Binding}: {Reason}")]
    private static partial void LogBindFailed(ILogger logger, string binding, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Listener {Binding} did not stop cleanly: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string binding, string reason);
}
