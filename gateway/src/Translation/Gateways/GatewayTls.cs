using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation.References;
using Meshway.Translation.Status;

namespace Meshway.Translation.Gateways;

/// <summary>
/// Gateway <c>spec.tls</c>: client certificate validation of HTTPS listeners (GEP-91) and the client
/// certificate the Gateway presents to TLS backends (GatewayBackendClientCertificate).
/// <list type="number">
/// <item>Frontend: the configuration for a listener is the <c>perPort</c> entry of its port, else
///   <c>default</c>. Every CA ref must be a core ConfigMap (else InvalidCACertificateKind), allowed by a
///   ReferenceGrant when in another namespace (else RefNotPermitted), and hold PEM certificates under
///   <c>ca.crt</c> (else InvalidCACertificateRef): a bad ref makes the listener ResolvedRefs=False; when no
///   CA at all is usable the listener is Accepted=False/NoValidCACertificate and is not served, so a client
///   is never let in unchecked by a broken config.</item>
/// <item>AllowInsecureFallback anywhere puts InsecureFrontendValidationMode=True/ConfigurationChanged on the
///   Gateway, so the weakened check is visible.</item>
/// <item>Backend: a kubernetes.io/tls Secret; a bad ref makes the Gateway ResolvedRefs=False
///   (InvalidClientCertificateRef or RefNotPermitted) and no certificate is presented.</item>
/// </list>
/// </summary>
internal static class GatewayTls
{
    public const string CaKey = "ca.crt";
    public const string AllowValidOnly = "AllowValidOnly";
    public const string AllowInsecureFallback = "AllowInsecureFallback";

    // Listener reasons (v1.5 apis/v1/gateway_types.go).
    public const string NoValidCaCertificate = "NoValidCACertificate";
    public const string InvalidCaCertificateRef = "InvalidCACertificateRef";
    public const string InvalidCaCertificateKind = "InvalidCACertificateKind";

    // Gateway condition and reasons.
    public const string InsecureFrontendValidationMode = "InsecureFrontendValidationMode";
    public const string ConfigurationChanged = "ConfigurationChanged";
    public const string InvalidClientCertificateRef = "InvalidClientCertificateRef";

    /// <summary>The validation settings for listeners on <paramref name="port"/> and where they came from.</summary>
    public static (FrontendTlsValidation? Validation, string Source) FrontendFor(Gateway gateway, int port)
    {
        var frontend = gateway.Spec.Tls?.Frontend;
        if (frontend is null)
        {
            return (null, "");
        }

        foreach (var perPort in frontend.PerPort ?? [])
        {
            if (perPort is not null && perPort.Port == port)
            {
                // An entry for the port replaces the default, even one without validation (turns it off).
                return (perPort.Tls?.Validation, "port " + port);
            }
        }

        return (frontend.Default?.Validation, "default");
    }

    /// <summary>Step 1: resolves the client validation of one HTTPS listener into its state.</summary>
    public static void ApplyFrontend(ListenerState listener, ResourceSet resources)
    {
        if (listener.Protocol != ListenerProtocol.Https)
        {
            return; // validation applies to listeners that terminate HTTPS only
        }

        var (validation, source) = FrontendFor(listener.Gateway.Gateway, listener.Port);
        if (validation is null)
        {
            return;
        }

        var mode = string.IsNullOrEmpty(validation.Mode) ? AllowValidOnly : validation.Mode;
        if (mode != AllowValidOnly && mode != AllowInsecureFallback)
        {
            listener.AcceptError ??= new ConfigError(Reasons.UnsupportedValue,
                $"tls.frontend ({source}): mode {mode} is not supported; use AllowValidOnly or AllowInsecureFallback");
            return;
        }

        var cas = ImmutableArray.CreateBuilder<X509Certificate2>();
        ConfigError? firstError = null;
        foreach (var reference in validation.CaCertificateRefs ?? [])
        {
            var (loaded, error) = LoadCa(listener.Gateway, reference, resources);
            if (error is not null)
            {
                firstError ??= error;
            }
            else
            {
                cas.AddRange(loaded);
            }
        }

        listener.ClientValidationError = firstError;
        if (cas.Count == 0)
        {
            listener.AcceptError ??= new ConfigError(NoValidCaCertificate, firstError is null
                ? $"tls.frontend ({source}) lists no caCertificateRefs"
                : $"tls.frontend ({source}): no usable CA certificate: {firstError.Message}");
            return;
        }

        listener.ClientValidation = new ClientValidationModel(cas.ToImmutable(), mode == AllowInsecureFallback, source);
    }

    /// <summary>Step 2: whether any frontend validation (default or per port) runs in AllowInsecureFallback.</summary>
    public static bool UsesInsecureFallback(Gateway gateway)
    {
        var frontend = gateway.Spec.Tls?.Frontend;
        if (frontend is null)
        {
            return false;
        }

        if (frontend.Default?.Validation?.Mode == AllowInsecureFallback)
        {
            return true;
        }

        return frontend.PerPort?.Exists(p => p?.Tls?.Validation?.Mode == AllowInsecureFallback) == true;
    }

    /// <summary>Step 3: the backend client certificate of the Gateway, or why it cannot be used.</summary>
    public static void ApplyBackend(GatewayState gateway, ResourceSet resources)
    {
        if (gateway.Gateway.Spec.Tls?.Backend?.ClientCertificateRef is not { } reference)
        {
            return;
        }

        var (certificate, error) = GatewayTranslator.LoadCertificate(gateway, reference, resources);
        if (error is not null)
        {
            gateway.BackendCertificateError = error.Reason == Reasons.RefNotPermitted
                ? error
                : new ConfigError(InvalidClientCertificateRef, "tls.backend.clientCertificateRef: " + error.Message);
            return;
        }

        gateway.BackendClientCertificate = certificate;
    }

    /// <summary>The Gateway conditions spec.tls adds (none when spec.tls is not used).</summary>
    public static IEnumerable<Condition> GatewayConditions(GatewayState gateway)
    {
        if (UsesInsecureFallback(gateway.Gateway))
        {
            yield return new Condition(InsecureFrontendValidationMode, true, ConfigurationChanged,
                "client certificate validation runs in AllowInsecureFallback: clients without a valid certificate are served");
        }

        if (gateway.Gateway.Spec.Tls?.Backend?.ClientCertificateRef is not null)
        {
            yield return gateway.BackendCertificateError is { } error
                ? new Condition(Reasons.ResolvedRefs, false, error.Reason, error.Message)
                : new Condition(Reasons.ResolvedRefs, true, Reasons.ResolvedRefs, "All references resolved");
        }
    }

    private static (X509Certificate2Collection Certificates, ConfigError? Error) LoadCa(
        GatewayState gateway, ObjectReference? reference, ResourceSet resources)
    {
        var group = reference?.Group ?? "";
        var kind = reference?.Kind ?? "";
        var ns = string.IsNullOrEmpty(reference?.Namespace) ? gateway.Namespace : reference.Namespace;
        var name = reference?.Name ?? "";
        if (group != "" || kind != "ConfigMap")
        {
            return ([], new ConfigError(InvalidCaCertificateKind,
                $"caCertificateRef {group}/{kind} {ns}/{name}: only core ConfigMaps are supported"));
        }

        if (!ReferenceGrants.Allows(resources, KubeKinds.GatewayGroup, "Gateway", gateway.Namespace, "", "ConfigMap", ns, name))
        {
            return ([], new ConfigError(Reasons.RefNotPermitted,
                $"caCertificateRef to ConfigMap {ns}/{name} is not permitted by any ReferenceGrant in namespace {ns}"));
        }

        if (resources.FindConfigMap(ns, name)?.Data?.GetValueOrDefault(CaKey) is not { } pem)
        {
            return ([], new ConfigError(InvalidCaCertificateRef, $"ConfigMap {ns}/{name} not found or without key {CaKey}"));
        }

        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException)
        {
            collection.Clear();
        }

        return collection.Count == 0
            ? ([], new ConfigError(InvalidCaCertificateRef, $"ConfigMap {ns}/{name} key {CaKey} holds no PEM certificate"))
            : (collection, null);
    }
}
