using System.Security.Cryptography.X509Certificates;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;

namespace Meshway.Routing.Model;

/// <summary>
/// One accepted Gateway listener: its hostname (null = any), its certificate for HTTPS, and the route
/// tables of the hostnames its attached routes serve (the listener/route hostname intersection, computed
/// by translation). Requests pick the route table by Host; no table means 404.
/// </summary>
public sealed class ListenerModel
{
    public ListenerModel(
        string gatewayNamespace,
        string gatewayName,
        string name,
        string? hostname,
        HostnameTable<RouteTable> hosts,
        X509Certificate2? certificate = null,
        StreamListenerModel? stream = null,
        ClientValidationModel? clientValidation = null,
        X509Certificate2? backendClientCertificate = null)
    {
        Stream = stream;
        GatewayNamespace = gatewayNamespace;
        GatewayName = gatewayName;
        Name = name;
        Hostname = hostname;
        Hosts = hosts;
        Certificate = certificate;
        ClientValidation = clientValidation;
        BackendClientCertificate = backendClientCertificate;
    }

    public string GatewayNamespace { get; }

    public string GatewayName { get; }

    /// <summary>"namespace/name" of the Gateway, for metrics and logs.</summary>
    public string Gateway => GatewayNamespace + "/" + GatewayName;

    public string Name { get; }

    public string? Hostname { get; }

    public HostnameTable<RouteTable> Hosts { get; }

    /// <summary>Set for TLS and TCP listeners (TLSRoute/TCPRoute); null for HTTP and HTTPS ones.</summary>
    public StreamListenerModel? Stream { get; }

    /// <summary>The serving certificate (with private key) of an HTTPS listener or a TLS listener in Terminate mode.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Client certificate validation for handshakes this listener answers (null: no client certificate asked).</summary>
    public ClientValidationModel? ClientValidation { get; }

    /// <summary>The Gateway's client certificate (with key) for backends it reaches over TLS (spec.tls.backend).</summary>
    public X509Certificate2? BackendClientCertificate { get; }
}
