using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Certificates;

/// <summary>
/// Checks a signed chain before we ever present it. A CA (or something pretending to be one) that
/// returns the wrong thing must not become our identity: each rejection names the check.
/// </summary>
public static class ChainValidator
{
    /// <summary>
    /// Validates <paramref name="chainPems"/> (leaf first, root last) against the key we generated
    /// and the identity we expect, and returns the certificate ready for TLS.
    /// </summary>
    /// <param name="expected">The identity the CA must have signed; empty to accept any identity in <paramref name="trustDomain"/>.</param>
    /// <exception cref="CertificateProvisioningException">The chain fails a check.</exception>
    public static WorkloadCertificate Validate(
        IReadOnlyList<string> chainPems,
        ECDsa key,
        SpiffeId expected,
        string trustDomain,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(chainPems);
        ArgumentNullException.ThrowIfNull(key);

        // 1. Shape: a leaf alone cannot be verified by anyone, so Istio clients refuse it too.
        if (chainPems.Count == 0)
        {
            throw Reject("the CA returned an empty certificate chain");
        }

        if (chainPems.Count == 1)
        {
            throw Reject("the CA returned a chain of one certificate; expected the leaf followed by its issuer(s) and root");
        }

        // 2. Every element must be a certificate.
        var chain = new List<X509Certificate2>(chainPems.Count);
        for (var i = 0; i < chainPems.Count; i++)
        {
            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPem(chainPems[i] ?? string.Empty);
            }
            catch (CryptographicException ex)
            {
                throw Reject($"element {i} of the CA's chain is not a valid PEM certificate ({ex.Message})");
            }

            if (collection.Count == 0)
            {
                throw Reject($"element {i} of the CA's chain is not a PEM certificate");
            }

            chain.AddRange(collection);
        }

        var leaf = chain[0];

        // 3. The leaf must certify the key we hold, or we could never use it.
        var ours = key.ExportSubjectPublicKeyInfo();
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ours))
        {
            throw Reject($"the leaf certificate (serial {leaf.SerialNumber}) is for a different public key than the one in our CSR");
        }

        // 4. Identity: the CA decides it from our token; it must be the one we expect.
        var ids = SpiffeId.FromCertificate(leaf);
        if (ids.Count != 1)
        {
            throw Reject($"the leaf certificate (serial {leaf.SerialNumber}) carries {ids.Count} SPIFFE IDs; expected exactly one");
        }

        var actual = ids[0];
        if (!expected.IsEmpty && actual != expected)
        {
            throw Reject($"the leaf certificate is for identity {actual}, expected {expected}");
        }

        if (expected.IsEmpty && !actual.IsInTrustDomain(trustDomain))
        {
            throw Reject($"the leaf certificate is for identity {actual}, outside trust domain '{trustDomain}'");
        }

        // 5. Time: reject what we could not serve right now.
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        if (now >= notAfter)
        {
            throw Reject($"the leaf certificate (serial {leaf.SerialNumber}) expired at {notAfter:O}");
        }

        if (now < notBefore)
        {
            throw Reject($"the leaf certificate (serial {leaf.SerialNumber}) is not valid before {notBefore:O}");
        }

        // 6. Signatures: the chain must link up to the root it ends with.
        using (var x509Chain = new X509Chain())
        {
            var policy = x509Chain.ChainPolicy;
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.RevocationMode = X509RevocationMode.NoCheck;
            policy.VerificationTime = now.UtcDateTime;
            policy.CustomTrustStore.Add(chain[^1]);
            for (var i = 1; i < chain.Count - 1; i++)
            {
                policy.ExtraStore.Add(chain[i]);
            }

            if (!x509Chain.Build(leaf))
            {
                throw Reject($"the CA's chain does not verify to its own root: {ChainStatus.Describe(x509Chain)}");
            }
        }

        return WorkloadCertificate.FromChain(actual, chain, key, string.Concat(chainPems.Select(NormalizePem)));
    }

    private static string NormalizePem(string pem) => pem.EndsWith('\n') ? pem : pem + "\n";

    private static CertificateProvisioningException Reject(string reason)
        => new($"rejected certificate from the CA: {reason}");
}
