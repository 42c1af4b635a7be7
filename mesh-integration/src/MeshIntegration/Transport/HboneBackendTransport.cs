using Meshway.DataPlane.Transport;
using Meshway.MeshIntegration.Hbone;
using Meshway.Routing.Backends;

namespace Meshway.MeshIntegration.Transport;

/// <summary>
/// The data plane's transport seam with HBONE added: an endpoint whose address belongs to an ambient pod
/// is reached through an HBONE tunnel (mTLS to podIP:15008, server identity = the pod's service account);
/// every other endpoint through the fallback transport (plaintext). The pipeline never knows which.
/// </summary>
public sealed class HboneBackendTransport : IBackendTransport, IDisposable
{
    private readonly IBackendTransport _fallback;
    private readonly Func<string, int, HboneTarget?> _resolve;
    private readonly HttpMessageInvoker _tunnelled;

    /// <param name="resolve">Maps an endpoint address and port to its HBONE target, or null when the pod is not ambient (or unknown).</param>
    public HboneBackendTransport(IBackendTransport fallback, HboneConnector connector, Func<string, int, HboneTarget?> resolve)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(resolve);
        _fallback = fallback;
        _resolve = resolve;
        _tunnelled = new HttpMessageInvoker(connector.CreateHandler(resolve), disposeHandler: true);
    }

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendProtocol protocol) =>
        _resolve(endpoint.Address, endpoint.Port) is not null ? _tunnelled : _fallback.GetInvoker(endpoint, protocol);

    public void Dispose()
    {
        _tunnelled.Dispose();
        (_fallback as IDisposable)?.Dispose();
    }
}
