using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation.Hostnames;
using Meshway.Translation.References;
using Meshway.Translation.Status;

namespace Meshway.Translation.Gateways;

/// <summary>
/// Validates a Gateway and its listeners: addresses, protocols, TLS certificates, allowed route kinds and
/// conflicts between listeners that share a port.
/// </summary>
internal static class GatewayTranslator
{
    public static GatewayState Translate(Gateway gateway, ResourceSet resources, TranslationOptions options)
    {
        var state = new GatewayState { Gateway = gateway };
        ResolveAddresses(state, options);
        foreach (var spec in gateway.Spec.Listeners ?? [])
        {
            if (spec is not null)
            {
                state.Listeners.Add(TranslateListener(state, spec, resources));
            }
        }

        ListenerSets.Merge(state, resources);
        DetectConflicts(state.Listeners);
        OverlappingTls.Detect(state.Listeners);
        GatewayTls.ApplyBackend(state, resources);
        return state;
    }

    private static void ResolveAddresses(GatewayState state, TranslationOptions options)
    {
        foreach (var address in state.Gateway.Spec.Addresses ?? [])
        {
            if (address is null)
            {
                continue;
            }

            var type = string.IsNullOrEmpty(address.Type) ? "IPAddress" : address.Type;
            if (type != "IPAddress")
            {
                state.AcceptError ??= new ConfigError(Reasons.UnsupportedAddress,
                    $"address type {type} is not supported; only IPAddress");
                continue;
            }

            if (string.IsNullOrEmpty(address.Value))
            {
                continue; // an empty value asks the implementation to choose: the default bind address
            }

            if (!IPAddress.TryParse(address.Value, out var ip))
            {
                state.AcceptError ??= new ConfigError(Reasons.UnsupportedAddress,
                    $"address \"{address.Value}\" is not an IP address");
                continue;
            }

            var text = ip.ToString();
            if (!state.Addresses.Contains(text))
            {
                state.Addresses.Add(text);
            }
        }

        if (state.Addresses.Count == 0)
        {
            state.Addresses.Add(options.DefaultBindAddress);
        }
    }

    internal static ListenerState TranslateListener(GatewayState gateway, GatewayListener spec, ResourceSet resources, ListenerSet? owner = null)
    {
        var protocol = spec.Protocol switch
        {
            "HTTP" => ListenerProtocol.Http,
            "HTTPS" => ListenerProtocol.Https,
            "TLS" => ListenerProtocol.Tls,
            "TCP" => ListenerProtocol.Tcp,
            _ => (ListenerProtocol?)null,
        };
        var hostnameValid = spec.Hostname is null || HostnameMatch.IsValid(spec.Hostname);
        var listener = new ListenerState
        {
            Gateway = gateway,
            Spec = spec,
            OwnerSet = owner,
            Protocol = protocol,
            // A TCP listener has no name to match: the spec says its hostname is ignored.
            Hostname = hostnameValid && protocol != ListenerProtocol.Tcp ? spec.Hostname?.ToLowerInvariant() : null,
        };

        if (protocol is null)
        {
            listener.AcceptError = new ConfigError(Reasons.UnsupportedProtocol,
                $"protocol {spec.Protocol ?? "(none)"} is not supported; use HTTP, HTTPS, TLS or TCP");
            return listener; // no route kinds are supported on a protocol we do not speak
        }

        if (spec.Port is < 1 or > 65535)
        {
            listener.AcceptError = new ConfigError(Reasons.UnsupportedValue, $"port {spec.Port} is out of range");
        }
        else if (!hostnameValid)
        {
            listener.AcceptError = new ConfigError(Reasons.UnsupportedValue, $"hostname \"{spec.Hostname}\" is not a valid hostname");
        }

        var listenerKinds = protocol switch
        {
            ListenerProtocol.Tls => TlsListenerKinds,
            ListenerProtocol.Tcp => TcpListenerKinds,
            _ => HttpListenerKinds,
        };
        ResolveKinds(listener, spec, listenerKinds);
        if (protocol == ListenerProtocol.Https)
        {
            ResolveCertificate(listener, spec, resources);
            GatewayTls.ApplyFrontend(listener, resources);
        }
        else if (protocol == ListenerProtocol.Tls)
        {
            ResolveTlsMode(listener, spec, resources);
        }
        else if (protocol == ListenerProtocol.Tcp)
        {
            listener.StreamMode = StreamMode.Tcp;
        }

        return listener;
    }

    /// <summary>
    /// A TLS listener's tls.mode: Terminate (the default, needs certificateRefs like HTTPS) or Passthrough (the
    /// gateway never decrypts, so certificateRefs are not used).
    /// </summary>
    private static void ResolveTlsMode(ListenerState listener, GatewayListener spec, ResourceSet resources)
    {
        switch (spec.Tls?.Mode ?? "Terminate")
        {
            case "Passthrough":
                listener.StreamMode = StreamMode.TlsPassthrough;
                break;
            case "Terminate":
                listener.StreamMode = StreamMode.TlsTerminate;
                ResolveCertificate(listener, spec, resources);
                break;
            default:
                listener.AcceptError ??= new ConfigError(Reasons.UnsupportedValue,
                    $"tls.mode {spec.Tls?.Mode} is not supported; use Terminate or Passthrough");
                break;
        }
    }

    /// <summary>The route kinds an HTTP or HTTPS listener takes, in the order supportedKinds lists them.</summary>
    private static readonly string[] HttpListenerKinds = ["HTTPRoute", "GRPCRoute"];

    private static readonly string[] TlsListenerKinds = ["TLSRoute"];

    private static readonly string[] TcpListenerKinds = ["TCPRoute"];

    /// <summary>
    /// Whether listeners of these protocols may share one socket. Besides equal protocols, HTTPS and TLS may:
    /// both start with a ClientHello, so the SNI tells which listener a connection belongs to (mixed mode).
    /// </summary>
    internal static bool Compatible(ListenerProtocol a, ListenerProtocol b) =>
        a == b || (a is ListenerProtocol.Https or ListenerProtocol.Tls && b is ListenerProtocol.Https or ListenerProtocol.Tls);

    private static void ResolveKinds(ListenerState listener, GatewayListener spec, string[] listenerKinds)
    {
        var kinds = spec.AllowedRoutes?.Kinds;
        if (kinds is null || kinds.Count == 0)
        {
            // Every kind we serve on this protocol (gRPC is HTTP/2: h2c with prior knowledge, or TLS with ALPN h2).
            foreach (var supported in listenerKinds)
            {
                listener.SupportedKinds.Add(new RouteGroupKind { Group = KubeKinds.GatewayGroup, Kind = supported });
            }

            return;
        }

        var invalid = new List<string>();
        foreach (var kind in kinds)
        {
            var group = kind?.Group ?? KubeKinds.GatewayGroup;
            if (group == KubeKinds.GatewayGroup && kind?.Kind is { } name && listenerKinds.Contains(name))
            {
                if (!listener.SupportedKinds.Exists(k => k.Kind == name))
                {
                    listener.SupportedKinds.Add(new RouteGroupKind { Group = group, Kind = name });
                }
            }
            else
            {
                invalid.Add($"{group}/{kind?.Kind}");
            }
        }

        if (invalid.Count > 0)
        {
            listener.KindsError = new ConfigError(Reasons.InvalidRouteKinds,
                $"unsupported route kinds: {string.Join(", ", invalid)} (protocol {spec.Protocol} takes only {string.Join(" and ", listenerKinds)})");
        }
    }

    private static void ResolveCertificate(ListenerState listener, GatewayListener spec, ResourceSet resources)
    {
        if (spec.Tls?.Mode is { } mode && mode != "Terminate")
        {
            listener.AcceptError ??= new ConfigError(Reasons.UnsupportedValue,
                $"tls.mode {mode} is not supported on an HTTPS listener; use Terminate (or protocol TLS for Passthrough)");
            return;
        }

        var refs = spec.Tls?.CertificateRefs;
        if (refs is null || refs.Count == 0)
        {
            listener.CertificateError = new ConfigError(Reasons.InvalidCertificateRef, $"a {spec.Protocol} listener that terminates TLS needs tls.certificateRefs");
            return;
        }

        foreach (var certificateRef in refs)
        {
            var (certificate, error) = LoadCertificate(listener.Gateway, certificateRef ?? new ObjectReference(), resources, listener.OwnerSet);
            if (error is not null)
            {
                listener.CertificateError = error;
                listener.Certificate = null;
                return;
            }

            // Several refs are allowed (e.g. RSA + ECDSA); we serve the first one.
            listener.Certificate ??= certificate;
        }
    }

    internal static (X509Certificate2? Certificate, ConfigError? Error) LoadCertificate(
        GatewayState gateway, ObjectReference reference, ResourceSet resources, ListenerSet? owner = null)
    {
        // A ListenerSet's listener resolves from the set's namespace, and grants must name kind ListenerSet (GEP-1713).
        var fromNamespace = owner?.Namespace ?? gateway.Namespace;
        var fromKind = owner is null ? "Gateway" : ListenerSets.Kind;
        var group = reference.Group ?? "";
        var kind = reference.Kind ?? "Secret";
        var ns = string.IsNullOrEmpty(reference.Namespace) ? fromNamespace : reference.Namespace;
        var name = reference.Name ?? "";
        if (group != "" || kind != "Secret")
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef,
                $"certificateRef {group}/{kind} {ns}/{name}: only core Secrets are supported"));
        }

        if (!ReferenceGrants.Allows(resources, KubeKinds.GatewayGroup, fromKind, fromNamespace, "", "Secret", ns, name))
        {
            return (null, new ConfigError(Reasons.RefNotPermitted,
                $"certificateRef to Secret {ns}/{name} is not permitted by any ReferenceGrant in namespace {ns}"));
        }

        var secret = resources.FindSecret(ns, name);
        if (secret is null)
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef, $"Secret {ns}/{name} not found"));
        }

        if (secret.Type is { } type && type != Secret.TlsType)
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef, $"Secret {ns}/{name} is of type {type}, not {Secret.TlsType}"));
        }

        var certPem = SecretValue(secret, "tls.crt");
        var keyPem = SecretValue(secret, "tls.key");
        if (certPem is null || keyPem is null)
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef,
                $"Secret {ns}/{name} must hold tls.crt and tls.key (base64 in data, or plain in stringData)"));
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPem(certPem, keyPem);
            return (certificate, null);
        }
        catch (CryptographicException e)
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef, $"Secret {ns}/{name}: invalid certificate or key PEM: {e.Message}"));
        }
        catch (ArgumentException e)
        {
            return (null, new ConfigError(Reasons.InvalidCertificateRef, $"Secret {ns}/{name}: invalid certificate or key PEM: {e.Message}"));
        }
    }

    private static string? SecretValue(Secret secret, string key)
    {
        if (secret.StringData?.TryGetValue(key, out var plain) == true && !string.IsNullOrEmpty(plain))
        {
            return plain;
        }

        if (secret.Data?.TryGetValue(key, out var encoded) != true || string.IsNullOrEmpty(encoded))
        {
            return null;
        }

        var buffer = new byte[encoded.Length];
        return Convert.TryFromBase64String(encoded, buffer, out var written) ? Encoding.UTF8.GetString(buffer, 0, written) : null;
    }

    /// <summary>
    /// Listeners of one Gateway that share a port must agree on the protocol, HTTPS and TLS counting as one
    /// (else every one of them is ProtocolConflict) and, among those, must have distinct hostnames (else
    /// HostnameConflict; two TCP listeners on a port always conflict, having no hostname). Conflicted
    /// listeners are reported and not served.
    /// </summary>
    private static void DetectConflicts(List<ListenerState> listeners)
    {
        // Listeners already Conflicted by ListenerSet precedence are out: the earlier listener keeps its port.
        foreach (var byPort in listeners.Where(l => l.AcceptError is null && l.Conflict is null).GroupBy(l => l.Port))
        {
            var protocols = byPort.Select(l => l.Protocol!.Value).Distinct().ToList();
            if (protocols.Exists(a => protocols.Exists(b => !Compatible(a, b))))
            {
                foreach (var listener in byPort)
                {
                    listener.Conflict = new ConfigError(Reasons.ProtocolConflict,
                        $"port {listener.Port} is used by listeners with different protocols");
                }

                continue;
            }

            foreach (var byHost in byPort.GroupBy(l => l.Hostname ?? "", StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                if (byHost.Select(l => l.Protocol).Distinct().Count() > 1)
                {
                    // HTTPS and TLS on one port and hostname: the SNI cannot choose between them. The conformance
                    // suite (GatewayListenerProtocolAndRouteKindConflicts) wants ProtocolConflict, Accepted=False
                    // reason Invalid, and neither listener serving.
                    foreach (var listener in byHost)
                    {
                        var message = $"listeners {string.Join(", ", byHost.Select(l => $"{l.Name} ({l.Spec.Protocol})"))} share port {listener.Port} and hostname \"{byHost.Key}\": SNI cannot tell them apart";
                        listener.Conflict = new ConfigError(Reasons.ProtocolConflict, message);
                        listener.AcceptError = new ConfigError(Reasons.Invalid, message);
                    }

                    continue;
                }

                foreach (var listener in byHost)
                {
                    listener.Conflict = new ConfigError(Reasons.HostnameConflict,
                        $"listeners {string.Join(", ", byHost.Select(l => l.Name))} share port {listener.Port} and hostname \"{byHost.Key}\"");
                }
            }
        }
    }
}
