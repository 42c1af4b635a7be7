using System.Net;
using System.Net.Security;
using Meshway.Mtls.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.MeshIntegration.Hbone;

/// <summary>
/// HBONE outbound: "give me a byte stream to this pod port". Keeps one HTTP/2 connection per
/// (pod address, HBONE port, expected identity) and opens a CONNECT stream on it per tunnel; a second
/// connection is opened only when the first is full (the peer's MAX_CONCURRENT_STREAMS) or going away.
/// <see cref="CreateHandler"/> turns it into a SocketsHttpHandler whose connections are tunnels, so the
/// forwarder speaks HTTP/1.1 or h2c to the pod through HBONE without knowing.
/// </summary>
public sealed partial class HboneConnector : IAsyncDisposable
{
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];

    private readonly MeshTlsClient _tls;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, List<PoolEntry>> _pool = new(StringComparer.Ordinal);
    private long _tunnels;
    private long _failures;
    private bool _disposed;

    public HboneConnector(MeshTlsClient tls, ILogger<HboneConnector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(tls);
        _tls = tls;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Tunnels opened so far.</summary>
    public long TunnelsOpened => Interlocked.Read(ref _tunnels);

    /// <summary>Tunnels that could not be opened (connect, handshake/identity, refused CONNECT, reset).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>HTTP/2 connections currently pooled (open).</summary>
    public int OpenConnections
    {
        get
        {
            lock (_sync)
            {
                var count = 0;
                foreach (var list in _pool.Values)
                {
                    foreach (var entry in list)
                    {
                        if (entry.Connection is { IsClosed: false })
                        {
                            count++;
                        }
                    }
                }

                return count;
            }
        }
    }

    /// <summary>Opens a tunnel to <paramref name="target"/>; extra headers (forwarded, baggage, traceparent) go on the CONNECT.</summary>
    /// <exception cref="HboneException">The tunnel could not be opened; <see cref="HboneException.Failure"/> says why.</exception>
    public async ValueTask<HboneStream> ConnectAsync(
        HboneTarget target, IReadOnlyList<KeyValuePair<string, string>>? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        headers ??= [];
        try
        {
            // A connection that dies between the pool lookup and the HEADERS write is retried once on a new one.
            for (var attempt = 0; ; attempt++)
            {
                var connection = await GetConnectionAsync(target, cancellationToken).ConfigureAwait(false);
                try
                {
                    var stream = await connection.OpenStreamAsync(target.Authority, headers, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _tunnels);
                    return stream;
                }
                catch (HboneException ex) when (ex.Failure == HboneFailure.Reset && attempt == 0 && connection.IsClosed)
                {
                    continue;
                }
            }
        }
        catch (HboneException ex)
        {
            Interlocked.Increment(ref _failures);
            Log.TunnelFailed(_logger, target.Authority, target.Identity.ToString(), ex.Failure, ex.Message);
            throw;
        }
    }

    /// <summary>
    /// A handler whose every connection is an HBONE tunnel. <paramref name="resolve"/> maps the request's
    /// host and port (the endpoint the forwarder chose) to the pod's identity; null means "not an HBONE
    /// destination" and fails the request.
    /// </summary>
    public SocketsHttpHandler CreateHandler(Func<string, int, HboneTarget?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var target = resolve(context.DnsEndPoint.Host, context.DnsEndPoint.Port)
                    ?? throw new HboneException($"no HBONE identity is known for {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}", HboneFailure.Connect);
                return await ConnectAsync(target, null, cancellationToken).ConfigureAwait(false);
            },
        };
    }

    private async Task<HboneConnection> GetConnectionAsync(HboneTarget target, CancellationToken cancellationToken)
    {
        var key = target.PoolKey;
        PoolEntry entry;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_pool.TryGetValue(key, out var list))
            {
                list = [];
                _pool[key] = list;
            }

            // Drop dead connections; reuse one with room, or one being opened (its opener shares the result).
            list.RemoveAll(e => e.Connection is { IsClosed: true } || e.Opening.IsFaulted);
            var usable = list.Find(e => e.Opening.IsCompletedSuccessfully ? e.Connection!.CanOpenStream : !e.Opening.IsCompleted);
            if (usable is null)
            {
                usable = new PoolEntry(OpenAsync(key, target));
                list.Add(usable);
            }

            entry = usable;
        }

        return await entry.Opening.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<HboneConnection> OpenAsync(string key, HboneTarget target)
    {
        // The connection outlives the request that caused it, so it is not tied to that request's token.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        SslClientAuthenticationOptions options;
        try
        {
            options = _tls.CreateOptions([target.Identity], H2, targetHost: null);
        }
        catch (InvalidOperationException ex)
        {
            throw new HboneException(ex.Message, HboneFailure.Handshake, ex);
        }

        var endpoint = new IPEndPoint(target.Address, target.HbonePort);
        try
        {
            var connection = await HboneConnection.ConnectAsync(key, endpoint, options, _logger, timeout.Token).ConfigureAwait(false);
            Log.Connected(_logger, key);
            return connection;
        }
        catch (OperationCanceledException ex)
        {
            throw new HboneException($"HBONE connection to {endpoint} was not ready within 10 s", HboneFailure.Connect, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<PoolEntry> entries;
        lock (_sync)
        {
            _disposed = true;
            entries = [.. _pool.Values.SelectMany(l => l)];
            _pool.Clear();
        }

        foreach (var entry in entries)
        {
            try
            {
                var connection = await entry.Opening.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (HboneException)
            {
                // Never opened.
            }
            catch (OperationCanceledException)
            {
                // Never opened.
            }
        }
    }

    private sealed class PoolEntry(Task<HboneConnection> opening)
    {
        public Task<HboneConnection> Opening { get; } = opening;

        public HboneConnection? Connection => Opening.IsCompletedSuccessfully ? Opening.Result : null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "HBONE connection {Key} opened")]
        public static partial void Connected(ILogger logger, string key);

        [LoggerMessage(2, LogLevel.Warning, "HBONE tunnel to {Authority} (expected identity {Identity}) failed: {Failure}: {Reason}")]
        public static partial void TunnelFailed(ILogger logger, string authority, string identity, HboneFailure failure, string reason);
    }
}
