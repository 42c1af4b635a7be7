using System.Security.Cryptography.X509Certificates;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Routes;
using Meshway.Translation.Status;

namespace Meshway.Translation.Gateways;

/// <summary>A route attached to a listener and the hostnames it serves there.</summary>
internal sealed record AttachedRoute(CompiledRoute Route, IReadOnlyList<HostnameMatch.Effective> Hostnames);

/// <summary>
/// One Gateway listener while translation works on it: what was decided about it (conditions) and which
/// routes attached. Mutable only inside a single Translate call.
/// </summary>
internal sealed class ListenerState
{
    public required GatewayState Gateway { get; init; }

    public required GatewayListener Spec { get; init; }

    /// <summary>The ListenerSet that contributed this listener; null for the Gateway's own listeners.</summary>
    public ListenerSet? OwnerSet { get; init; }

    /// <summary>The namespace of the object that declares the listener (Gateway or ListenerSet).</summary>
    public string OwnerNamespace => OwnerSet?.Namespace ?? Gateway.Namespace;

    public string Name => Spec.Name ?? "";

    /// <summary>Lower-cased listener hostname, or null for "any".</summary>
    public string? Hostname { get; init; }

    public int Port => Spec.Port;

    public ListenerProtocol? Protocol { get; init; }

    /// <summary>For TLS and TCP listeners: passthrough, terminate or TCP; null for HTTP and HTTPS.</summary>
    public StreamMode? StreamMode { get; set; }

    /// <summary>Accepted=False (UnsupportedProtocol, UnsupportedValue).</summary>
    public ConfigError? AcceptError { get; set; }

    /// <summary>ResolvedRefs=False for certificates (InvalidCertificateRef, RefNotPermitted).</summary>
    public ConfigError? CertificateError { get; set; }

    /// <summary>ResolvedRefs=False InvalidRouteKinds: some allowedRoutes.kinds are not supported.</summary>
    public ConfigError? KindsError { get; set; }

    /// <summary>Conflicted=True (ProtocolConflict, HostnameConflict).</summary>
    public ConfigError? Conflict { get; set; }

    /// <summary>OverlappingTLSConfig=True (OverlappingHostnames): informational, the listener is still served.</summary>
    public ConfigError? OverlappingTls { get; set; }

    public List<RouteGroupKind> SupportedKinds { get; } = [];

    public bool AllowsHttpRoute => SupportedKinds.Count > 0;

    /// <summary>Whether routes of <paramref name="kind"/> (HTTPRoute, GRPCRoute) may attach here.</summary>
    public bool AllowsKind(string kind) => SupportedKinds.Exists(k => k.Kind == kind);

    public X509Certificate2? Certificate { get; set; }

    /// <summary>Client certificate validation from the Gateway's spec.tls.frontend (null: none).</summary>
    public ClientValidationModel? ClientValidation { get; set; }

    /// <summary>ResolvedRefs=False for frontend CA refs (InvalidCACertificateRef, InvalidCACertificateKind, RefNotPermitted).</summary>
    public ConfigError? ClientValidationError { get; set; }

    /// <summary>Routes that attached (accepted for this listener), in route order.</summary>
    public List<AttachedRoute> Routes { get; } = [];

    /// <summary>Whether routes may attach: the listener itself is valid and the Gateway is accepted.</summary>
    public bool CanAttach => AcceptError is null && Gateway.AcceptError is null && AllowsHttpRoute;

    /// <summary>Served by the data plane: accepted, refs resolved, not conflicted, on an accepted Gateway.</summary>
    public bool Programmed =>
        AcceptError is null && CertificateError is null && Conflict is null && AllowsHttpRoute && Gateway.AcceptError is null;
}

/// <summary>A Gateway of our class while translation works on it.</summary>
internal sealed class GatewayState
{
    public required Gateway Gateway { get; init; }

    /// <summary>Its own listeners, then those of allowed ListenerSets (precedence order).</summary>
    public List<ListenerState> Listeners { get; } = [];

    /// <summary>ListenerSets naming this Gateway, allowed or not, in precedence order.</summary>
    public List<ListenerSetState> ListenerSets { get; } = [];

    /// <summary>The addresses its listeners bind to.</summary>
    public List<string> Addresses { get; } = [];

    /// <summary>Accepted=False for the whole Gateway (UnsupportedAddress).</summary>
    public ConfigError? AcceptError { get; set; }

    /// <summary>The certificate presented to TLS backends (spec.tls.backend.clientCertificateRef).</summary>
    public X509Certificate2? BackendClientCertificate { get; set; }

    /// <summary>Gateway ResolvedRefs=False (InvalidClientCertificateRef, RefNotPermitted).</summary>
    public ConfigError? BackendCertificateError { get; set; }

    public string Namespace => Gateway.Namespace;

    public string Name => Gateway.Name;
}
