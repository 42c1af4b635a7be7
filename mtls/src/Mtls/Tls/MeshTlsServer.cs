using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Trust;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Mtls.Tls;

/// <summary>
/// Server-side mesh TLS (HBONE inbound on 15008, Istio mTLS inbound): TLS 1.3, our workload
/// certificate, client certificate required and verified against the mesh roots and the trust
/// domain. Options are built once per certificate and handed out per handshake, so a rotation is
/// seen by the very next handshake without a listener restart.
/// </summary>
public sealed partial class MeshTlsServer
{
    private readonly CertificateManager _certificates;
    private readonly TrustBundleSource _trust;
    private readonly string _trustDomain;
    private readonly List<SslApplicationProtocol> _alpn;
    private readonly ILogger _logger;
    private readonly RemoteCertificateValidationCallback _validate;
    private Cached? _cached;

    /// <param name="applicationProtocols">ALPN list, e.g. h2 for HBONE.</param>
    public MeshTlsServer(
        CertificateManager certificates,
        TrustBundleSource trust,
        string trustDomain,
        IReadOnlyList<SslApplicationProtocol> applicationProtocols,
        ILogger<MeshTlsServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(applicationProtocols);
        _certificates = certificates;
        _trust = trust;
        _trustDomain = trustDomain;
        _alpn = [.. applicationProtocols];
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _validate = ValidateClient;
    }

    /// <summary>
    /// For <see cref="SslStream.AuthenticateAsServerAsync(ServerOptionsSelectionCallback, object?, CancellationToken)"/>
    /// (and Kestrel's TlsHandshakeCallbackOptions.OnConnection): the options for this handshake.
    /// </summary>
    public ValueTask<SslServerAuthenticationOptions> SelectOptionsAsync(
        SslStream stream, SslClientHelloInfo clientHello, object? state, CancellationToken cancellationToken)
        => new(GetOptions());

    /// <summary>The options for a new handshake, with the newest certificate and trust bundle.</summary>
    /// <exception cref="InvalidOperationException">There is no certificate yet (state Initializing).</exception>
    public SslServerAuthenticationOptions GetOptions()
    {
        var certificate = _certificates.Current
            ?? throw new InvalidOperationException("no workload certificate yet: refusing mesh TLS handshakes until the mesh CA answers");
        var bundle = _trust.Current;
        var cached = Volatile.Read(ref _cached);
        if (cached is not null && ReferenceEquals(cached.Certificate, certificate) && ReferenceEquals(cached.Bundle, bundle))
        {
            return cached.Options;
        }

        // SslServerAuthenticationOptions is only read during the handshake, so one instance per
        // certificate is shared by all concurrent handshakes.
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = _alpn,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = bundle.ChainPolicy,
            RemoteCertificateValidationCallback = _validate,
            AllowRenegotiation = false,
        };
        Volatile.Write(ref _cached, new Cached(certificate, bundle, options));
        return options;
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // The platform built the chain with the bundle's policy (mesh roots only); add the trust-domain rule.
        if (MeshPeerVerifier.VerifyPlatformResult(certificate, chain, errors, InTrustDomain, out _, out var error))
        {
            return true;
        }

        Log.ClientRejected(_logger, error);
        return false;
    }

    private bool InTrustDomain(SpiffeId id) => id.IsInTrustDomain(_trustDomain);

    private sealed record Cached(WorkloadCertificate Certificate, TrustBundle Bundle, SslServerAuthenticationOptions Options);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Rejected mesh TLS client: {Reason}")]
        public static partial void ClientRejected(ILogger logger, string reason);
    }
}
