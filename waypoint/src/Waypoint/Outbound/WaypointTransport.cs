using System.Net;
using System.Net.Sockets;
using Meshway.DataPlane.Transport;
using Meshway.MeshIntegration.Hbone;
using Meshway.Routing.Backends;
using Meshway.Waypoint.Model;

namespace Meshway.Waypoint.Outbound;

/// <summary>
/// Chooses how the waypoint reaches an endpoint: HBONE to podIP:15008 when the pod behind the address is
/// in ambient mode (its identity from its service account), plaintext otherwise. Both are one pooled
/// handler each; the HBONE one asks the current snapshot which identity the endpoint must present.
/// </summary>
public sealed class WaypointTransport : IBackendTransport, IDisposable
{
    private readonly WaypointStore _store;
    private readonly HboneConnector _hbone;
    private readonly HttpMessageInvoker _tunnelled;
    private readonly HttpMessageInvoker _plaintext;

    public WaypointTransport(WaypointStore store, HboneConnector hbone)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(hbone);
        _store = store;
        _hbone = hbone;
        _tunnelled = new HttpMessageInvoker(hbone.CreateHandler(Resolve), disposeHandler: true);
        _plaintext = new HttpMessageInvoker(
            new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                ActivityHeadersPropagator = null,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
            disposeHandler: true);
    }

    /// <summary>The pod behind <paramref name="address"/> in the current snapshot, if it is an ambient workload.</summary>
    public WorkloadInfo? AmbientWorkload(string address) =>
        _store.Current.Workloads.TryGetValue(address, out var workload) && workload.Ambient ? workload : null;

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint) =>
        AmbientWorkload(endpoint.Address) is not null ? _tunnelled : _plaintext;

    /// <summary>The pipeline's seam: one pooled handler serves HTTP/1.1 and h2c alike (the request picks the version).</summary>
    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendProtocol protocol) => GetInvoker(endpoint);

    /// <summary>A byte stream to the endpoint (for TCP Services): an HBONE tunnel for ambient pods, else a socket.</summary>
    public async ValueTask<Stream> ConnectAsync(EndpointModel endpoint, CancellationToken cancellationToken)
    {
        if (AmbientWorkload(endpoint.Address) is { } workload)
        {
            return await _hbone.ConnectAsync(new HboneTarget(IPAddress.Parse(endpoint.Address), endpoint.Port, workload.Identity), null, cancellationToken);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(endpoint.Address), endpoint.Port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private HboneTarget? Resolve(string host, int port) =>
        AmbientWorkload(host) is { } workload && IPAddress.TryParse(host, out var ip)
            ? new HboneTarget(ip, port, workload.Identity)
            : null;

    public void Dispose()
    {
        _tunnelled.Dispose();
        _plaintext.Dispose();
    }
}
