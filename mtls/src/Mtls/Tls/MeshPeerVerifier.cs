using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Tls;

/// <summary>
/// The one peer check both TLS sides share: the peer's chain must lead to a current mesh root
/// (never the system store), and its single SPIFFE ID must pass a rule (same trust domain on the
/// server side, one of the expected IDs on the client side). Like ztunnel's TrustDomainVerifier:
/// the platform chain check plus one identity rule.
/// </summary>
public static class MeshPeerVerifier
{
    /// <summary>Verifies a peer certificate as presented in an SslStream validation callback.</summary>
    /// <param name="presentedChain">The callback's chain; its ExtraStore holds what the peer sent.</param>
    public static bool Verify(
        X509Certificate? certificate,
        X509Chain? presentedChain,
        TrustBundle bundle,
        Func<SpiffeId, bool> acceptIdentity,
        out SpiffeId peer,
        out string error)
    {
        peer = default;
        if (certificate is null)
        {
            error = "the peer presented no certificate";
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (!bundle.Verify(leaf, presentedChain?.ChainPolicy.ExtraStore, DateTime.UtcNow, out var chainError))
        {
            error = $"the peer certificate (serial {leaf.SerialNumber}) does not chain to a mesh root: {chainError}";
            return false;
        }

        return CheckIdentity(leaf, acceptIdentity, out peer, out error);
    }

    /// <summary>
    /// Checks SslStream's own verdict when the options carried <see cref="TrustBundle.ChainPolicy"/>
    /// (so the platform already built the chain against the mesh roots), then applies the identity
    /// rule. A host-name mismatch is not an error here: mesh certificates carry no DNS names.
    /// </summary>
    public static bool VerifyPlatformResult(
        X509Certificate? certificate,
        X509Chain? chain,
        SslPolicyErrors errors,
        Func<SpiffeId, bool> acceptIdentity,
        out SpiffeId peer,
        out string error)
    {
        peer = default;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            error = "the peer presented no certificate";
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            var detail = chain is null ? "chain errors" : Certificates.ChainStatus.Describe(chain);
            error = $"the peer certificate (serial {leaf.SerialNumber}) does not chain to a mesh root: {detail}";
            return false;
        }

        return CheckIdentity(leaf, acceptIdentity, out peer, out error);
    }

    /// <summary>The identity rule both verifiers end with: exactly one SPIFFE ID, and one the caller accepts.</summary>
    private static bool CheckIdentity(X509Certificate2 leaf, Func<SpiffeId, bool> acceptIdentity, out SpiffeId peer, out string error)
    {
        peer = default;
        var ids = SpiffeId.FromCertificate(leaf);
        if (ids.Count != 1)
        {
            error = $"the peer certificate carries {ids.Count} SPIFFE IDs; expected exactly one";
            return false;
        }

        if (!acceptIdentity(ids[0]))
        {
            error = $"the peer identity {ids[0]} is not allowed here";
            return false;
        }

        peer = ids[0];
        error = string.Empty;
        return true;
    }

    /// <summary>The peer's SPIFFE ID after a completed handshake (for authorization), if it has exactly one.</summary>
    public static bool TryGetPeerIdentity(SslStream stream, out SpiffeId identity)
    {
        ArgumentNullException.ThrowIfNull(stream);
        identity = default;
        if (stream.RemoteCertificate is not X509Certificate2 certificate)
        {
            return false;
        }

        var ids = SpiffeId.FromCertificate(certificate);
        if (ids.Count != 1)
        {
            return false;
        }

        identity = ids[0];
        return true;
    }
}
