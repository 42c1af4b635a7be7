using Meshway.DataPlane.Balancing;
using Meshway.DataPlane.Listeners;
using Meshway.DataPlane.Metrics;
using Meshway.DataPlane.Pipeline;
using Meshway.DataPlane.Snapshots;
using Meshway.DataPlane.Transport;
using Meshway.Routing.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Meshway.DataPlane;

/// <summary>
/// The data plane wired together: snapshot store, metrics, endpoint balancer, transport, the request pipeline
/// and the listener manager. <see cref="ApplyAsync"/> is the one way a new configuration goes live.
/// </summary>
public sealed class DataPlaneHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IDisposable? _ownedTransport;

    private DataPlaneHost(ILoggerFactory loggerFactory, IBackendTransport? transport, TimeSpan? drainTimeout)
    {
        // IHttpForwarder's implementation is internal to YARP: take it from a private container.
        _services = new ServiceCollection()
            .AddSingleton(loggerFactory)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddHttpForwarder()
            .BuildServiceProvider();
        // BackendTLSPolicy origination sits in front of whichever transport reaches the endpoints.
        var tlsOrigination = new TlsOriginationTransport(transport ?? new PlaintextTransport(), ownsInner: transport is null);
        _ownedTransport = tlsOrigination;
        transport = tlsOrigination;

        Transport = transport;
        Pipeline = new GatewayPipeline(
            Store, _services.GetRequiredService<IHttpForwarder>(), transport, Balancer, Metrics, loggerFactory.CreateLogger<GatewayPipeline>());
        Listeners = new ListenerManager(Store, Pipeline, Metrics, loggerFactory, drainTimeout,
            new Streams.StreamProxy(Store, Balancer, Metrics, loggerFactory.CreateLogger<Streams.StreamProxy>()));
    }

    public SnapshotStore Store { get; } = new();

    public GatewayMetrics Metrics { get; } = new();

    internal EndpointBalancer Balancer { get; } = new();

    public IBackendTransport Transport { get; }

    internal GatewayPipeline Pipeline { get; }

    public ListenerManager Listeners { get; }

    public static DataPlaneHost Create(ILoggerFactory loggerFactory, IBackendTransport? transport = null, TimeSpan? drainTimeout = null) =>
        new(loggerFactory, transport, drainTimeout);

    /// <summary>
    /// Publishes <paramref name="snapshot"/> (new requests use it at once), then opens and closes sockets to
    /// match it, then forgets endpoint state the snapshot no longer needs.
    /// </summary>
    public async Task ApplyAsync(RoutingSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        Store.Publish(snapshot);
        await Listeners.ReconcileAsync(snapshot, cancellationToken);
        Balancer.Retain(snapshot);
    }

    public async ValueTask DisposeAsync()
    {
        await Listeners.DisposeAsync();
        _ownedTransport?.Dispose();
        await _services.DisposeAsync();
    }
}
