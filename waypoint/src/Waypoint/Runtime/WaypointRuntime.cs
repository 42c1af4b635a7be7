using System.Collections.Immutable;
using System.Net;
using System.Net.Security;
using Meshway.DataPlane.Metrics;
using Meshway.Kubernetes.Models;
using Meshway.MeshIntegration.Hbone;
using Meshway.Mtls.Setup;
using Meshway.Translation.Status;
using Meshway.Waypoint.Gamma;
using Meshway.Waypoint.Inbound;
using Meshway.Waypoint.Model;
using Meshway.Waypoint.Outbound;
using Microsoft.Extensions.Logging;

namespace Meshway.Waypoint.Runtime;

/// <summary>
/// The waypoint role inside <c>meshway run</c>: on every configuration it translates the waypoint view
/// (pure), publishes it, and opens or closes one HBONE inbound server per waypoint Gateway listener.
/// Without a mesh identity (no --mesh-ca / --mesh-cert-dir) it still translates (status, workloads) but
/// serves nothing and says why.
/// </summary>
public sealed partial class WaypointRuntime : IAsyncDisposable
{
    private readonly MeshIdentity? _identity;
    private readonly WaypointTranslationOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reconcile = new(1, 1);
    private readonly Dictionary<string, (WaypointListener Listener, HboneInboundServer Server)> _servers = new(StringComparer.Ordinal);
    private readonly WaypointTransport? _transport;

    public WaypointRuntime(MeshIdentity? identity, HboneConnector? connector, WaypointTranslationOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _identity = identity;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<WaypointRuntime>();
        if (identity is not null && connector is not null)
        {
            _transport = new WaypointTransport(Store, connector);
        }
    }

    public WaypointStore Store { get; } = new();

    /// <summary>Where tunnelled requests are counted; the executable sets its own so /metrics shows them. Read when a listener opens.</summary>
    public GatewayMetrics Metrics { get; set; } = new();

    /// <summary>The HBONE target of an ambient pod's endpoint (for the ingress transport), or null.</summary>
    public HboneTarget? AmbientTarget(string address, int port) =>
        Store.Current.Workloads.TryGetValue(address, out var workload) && workload.Ambient && IPAddress.TryParse(address, out var ip)
            ? new HboneTarget(ip, port, workload.Identity)
            : null;

    /// <summary>Translates and publishes; the listener changes run in the background, one reconcile at a time.</summary>
    public StatusReport Apply(ResourceSet resources)
    {
        var result = WaypointTranslator.Translate(resources, _options);
        Store.Publish(result.Snapshot);
        if (_identity is null)
        {
            foreach (var listener in result.Listeners)
            {
                Log.NoIdentity(_logger, listener.Key);
            }
        }
        else
        {
            _ = ReconcileAsync(result.Listeners);
        }

        return result.Status;
    }

    private async Task ReconcileAsync(ImmutableArray<WaypointListener> wanted)
    {
        await _reconcile.WaitAsync();
        try
        {
            var keep = new HashSet<string>(StringComparer.Ordinal);
            foreach (var listener in wanted)
            {
                var key = listener.Key + "@" + string.Join(",", listener.Addresses) + ":" + listener.Port + "/proxy:" + listener.ProxyPort;
                keep.Add(key);
                if (_servers.ContainsKey(key))
                {
                    continue;
                }

                var server = new HboneInboundServer(listener, Store, _identity!.CreateServer([SslApplicationProtocol.Http2]), _transport!, _loggers, Metrics);
                try
                {
                    await server.StartAsync();
                    _servers[key] = (listener, server);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    await server.DisposeAsync();
                    Log.StartFailed(_logger, listener.Key, ex.Message);
                }
            }

            foreach (var key in _servers.Keys.Where(k => !keep.Contains(k)).ToList())
            {
                await _servers[key].Server.DisposeAsync();
                _servers.Remove(key);
            }
        }
        catch (Exception ex)
        {
            // A reconcile bug must not take the process down; the previous servers keep serving.
            Log.ReconcileFailed(_logger, ex);
        }
        finally
        {
            _reconcile.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reconcile.WaitAsync();
        foreach (var (_, server) in _servers.Values)
        {
            await server.DisposeAsync();
        }

        _servers.Clear();
        _transport?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Waypoint {Waypoint} cannot serve: no mesh identity (start with --mesh-ca dev or --mesh-cert-dir DIR)")]
        public static partial void NoIdentity(ILogger logger, string waypoint);

        [LoggerMessage(2, LogLevel.Error, "Waypoint {Waypoint}: HBONE listener did not start: {Reason}")]
        public static partial void StartFailed(ILogger logger, string waypoint, string reason);

        [LoggerMessage(3, LogLevel.Error, "Waypoint listener reconcile failed")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);
    }
}
