using System.Security.Cryptography.X509Certificates;
using Meshway.Routing.Backends;

namespace Meshway.DataPlane.Transport;

/// <summary>
/// The seam between routing and the wire: chooses the <see cref="HttpMessageInvoker"/> that reaches one
/// endpoint with one protocol. Plaintext HTTP/1.1 and h2c today; Istio mTLS and HBONE transports implement
/// this later (their own ConnectCallback / SslOptions) without the pipeline knowing.
/// </summary>
public interface IBackendTransport
{
    HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendProtocol protocol);

    /// <summary>
    /// The invoker for one endpoint of <paramref name="backend"/>, which may carry more than the protocol
    /// (TLS origination from a BackendTLSPolicy). Transports that only care about the protocol need not
    /// implement it.
    /// </summary>
    HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendModel backend) => GetInvoker(endpoint, backend.Protocol);

    /// <summary>
    /// As <see cref="GetInvoker(EndpointModel, BackendModel)"/> for a request through a Gateway with
    /// spec.tls.backend.clientCertificateRef: where the transport originates TLS (BackendTLSPolicy) it presents
    /// <paramref name="clientCertificate"/>. Transports that never originate that TLS ignore it.
    /// </summary>
    HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendModel backend, X509Certificate2 clientCertificate) => GetInvoker(endpoint, backend);
}
