using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Trust;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Mtls.Tls;

/// <summary>
/// Client-side mesh TLS (HBONE outbound, Istio mTLS to sidecars): present our workload
/// certificate, verify the server chain against the mesh roots and its URI SAN against the
/// identities the destination may have (ztunnel's rule). One options object per connection, built
/// from the newest certificate at connect time.
/// </summary>
public sealed partial class MeshTlsClient
{
    private readonly CertificateManager _certificates;
    private readonly TrustBundleSource _trust;
    private readonly ILogger _logger;

    public MeshTlsClient(CertificateManager certificates, TrustBundleSource trust, ILogger<MeshTlsClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(trust);
        _certificates = certificates;
        _trust = trust;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Options for one outbound connection.</summary>
    /// <param name="expectedServerIdentities">The server must present one of these (non-empty).</param>
    /// <param name="applicationProtocols">ALPN: h2 for HBONE, istio for sidecar mTLS.</param>
    /// <param name="targetHost">SNI, or null/empty for none (HBONE sends no SNI).</param>
    /// <param name="protocols">TLS 1.3 by default; sidecar Envoys also accept 1.2.</param>
    /// <exception cref="InvalidOperationException">There is no certificate yet.</exception>
    public SslClientAuthenticationOptions CreateOptions(
        IReadOnlyCollection<SpiffeId> expectedServerIdentities,
        IReadOnlyList<SslApplicationProtocol> applicationProtocols,
        string? targetHost = null,
        SslProtocols protocols = SslProtocols.Tls13)
    {
        ArgumentNullException.ThrowIfNull(expectedServerIdentities);
        ArgumentNullException.ThrowIfNull(applicationProtocols);
        if (expectedServerIdentities.Count == 0)
        {
            throw new ArgumentException("at least one expected server identity is required", nameof(expectedServerIdentities));
        }

        var certificate = _certificates.Current
            ?? throw new InvalidOperationException("no workload certificate yet: cannot open mesh TLS connections until the mesh CA answers");
        var expected = expectedServerIdentities;
        var bundle = _trust.Current;
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost ?? string.Empty,
            ClientCertificateContext = certificate.Context,
            EnabledSslProtocols = protocols,
            ApplicationProtocols = [.. applicationProtocols],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            CertificateChainPolicy = bundle.ChainPolicy,
            RemoteCertificateValidationCallback = (_, cert, chain, errors) => ValidateServer(cert, chain, errors, expected),
        };
    }

    private bool ValidateServer(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, IReadOnlyCollection<SpiffeId> expected)
    {
        // The platform built the chain against the mesh roots (CertificateChainPolicy); a host-name
        // mismatch is expected (no DNS names in mesh certificates): the SPIFFE ID is the name that matters.
        if (MeshPeerVerifier.VerifyPlatformResult(certificate, chain, errors, expected.Contains, out _, out var error))
        {
            return true;
        }

        Log.ServerRejected(_logger, error);
        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Rejected mesh TLS server: {Reason}")]
        public static partial void ServerRejected(ILogger logger, string reason);
    }
}
