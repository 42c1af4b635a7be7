using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.Mtls.Trust;

/// <summary>
/// The mesh roots at one moment. Several roots are normal during a CA rotation (old and new root
/// both trusted until every workload has a certificate from the new one). Immutable.
/// </summary>
public sealed class TrustBundle
{
    private X509ChainPolicy? _chainPolicy;

    private TrustBundle(X509Certificate2Collection roots, string pem)
    {
        Roots = roots;
        Pem = pem;
    }

    public X509Certificate2Collection Roots { get; }

    /// <summary>The bundle as PEM, as read (root-cert.pem content).</summary>
    public string Pem { get; }

    /// <summary>Parses a PEM bundle; fails if it holds no certificate.</summary>
    /// <exception cref="CertificateProvisioningException">The text holds no usable certificate.</exception>
    public static TrustBundle FromPem(string pem, string origin)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateProvisioningException($"trust bundle {origin} is not valid PEM: {ex.Message}");
        }

        if (roots.Count == 0)
        {
            throw new CertificateProvisioningException($"trust bundle {origin} contains no certificate");
        }

        return new TrustBundle(roots, pem);
    }

    public static TrustBundle FromCertificates(IEnumerable<X509Certificate2> roots)
    {
        var collection = new X509Certificate2Collection();
        var pem = new System.Text.StringBuilder();
        foreach (var root in roots)
        {
            collection.Add(root);
            pem.Append(root.ExportCertificatePem()).Append('\n');
        }

        return new TrustBundle(collection, pem.ToString());
    }

    /// <summary>
    /// The chain policy for SslStream's own validation (<c>CertificateChainPolicy</c>): these roots
    /// only, no revocation (mesh certificates carry no CRL/OCSP), always the current time. Handing
    /// it to SslStream means one chain build per handshake instead of a system-store build that we
    /// would then redo. Built once per bundle; SslStream copies it per handshake.
    /// </summary>
    public X509ChainPolicy ChainPolicy => _chainPolicy ??= CreateChainPolicy();

    /// <summary>
    /// Verifies that <paramref name="leaf"/> chains to one of these roots, using only
    /// <paramref name="intermediates"/> (what the peer sent) and never the system store.
    /// </summary>
    public bool Verify(X509Certificate2 leaf, X509Certificate2Collection? intermediates, DateTime verificationTimeUtc, out string error)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(Roots);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = verificationTimeUtc;
        if (intermediates is not null)
        {
            policy.ExtraStore.AddRange(intermediates);
        }

        if (chain.Build(leaf))
        {
            error = string.Empty;
            return true;
        }

        error = Certificates.ChainStatus.Describe(chain);
        return false;
    }

    private X509ChainPolicy CreateChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            VerificationTimeIgnored = true,
        };
        policy.CustomTrustStore.AddRange(Roots);
        return policy;
    }
}
