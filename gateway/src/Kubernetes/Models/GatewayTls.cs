namespace Meshway.Kubernetes.Models;

/// <summary>
/// Gateway <c>spec.tls</c> (v1.5, GEP-91 and GatewayBackendClientCertificate): TLS settings of the whole
/// Gateway, apart from each listener's own <see cref="GatewayTlsConfig"/> (its serving certificate).
/// </summary>
public sealed class GatewayTlsSettings
{
    /// <summary>The Gateway as a TLS client of its backends (only when a BackendTLSPolicy originates TLS).</summary>
    public GatewayBackendTls? Backend { get; set; }

    /// <summary>The Gateway as a TLS server: client certificate validation of HTTPS listeners.</summary>
    public FrontendTlsConfig? Frontend { get; set; }
}

public sealed class GatewayBackendTls
{
    /// <summary>A kubernetes.io/tls Secret whose certificate and key are presented to backends.</summary>
    public ObjectReference? ClientCertificateRef { get; set; }
}

public sealed class FrontendTlsConfig
{
    /// <summary>Applies to every HTTPS listener whose port has no <see cref="PerPort"/> entry.</summary>
    public FrontendTlsSection? Default { get; set; }

    /// <summary>Overrides <see cref="Default"/> for the HTTPS listeners on one port.</summary>
    public List<FrontendTlsPortConfig>? PerPort { get; set; }
}

public sealed class FrontendTlsPortConfig
{
    public int Port { get; set; }

    public FrontendTlsSection? Tls { get; set; }
}

public sealed class FrontendTlsSection
{
    public FrontendTlsValidation? Validation { get; set; }
}

public sealed class FrontendTlsValidation
{
    /// <summary>ConfigMaps (key ca.crt) holding the CAs client certificates must chain to.</summary>
    public List<ObjectReference>? CaCertificateRefs { get; set; }

    /// <summary>AllowValidOnly (the default) or AllowInsecureFallback.</summary>
    public string? Mode { get; set; }
}
