using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Certificates;

/// <summary>
/// A fresh ECDSA P-256 key and a PKCS#10 request for it carrying our SPIFFE ID as URI SAN, as
/// ztunnel and agentgateway send. A new key per request means a leaked old key stops being useful
/// once its certificate expires.
/// </summary>
public sealed class CertificateSigningRequest : IDisposable
{
    private CertificateSigningRequest(ECDsa key, string pem)
    {
        Key = key;
        Pem = pem;
    }

    /// <summary>The private key; ownership passes to the certificate built from the response.</summary>
    public ECDsa Key { get; }

    /// <summary>PEM "CERTIFICATE REQUEST", the <c>csr</c> field of the CA request.</summary>
    public string Pem { get; }

    public static CertificateSigningRequest Create(SpiffeId identity)
    {
        if (identity.IsEmpty)
        {
            throw new ArgumentException("identity is empty", nameof(identity));
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Istio leaves the subject empty and puts the identity in a critical SAN; the CA overrides
        // both anyway, but a well-formed request keeps strict signers happy.
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.ToString()));
        request.CertificateExtensions.Add(san.Build(critical: true));
        var pem = request.CreateSigningRequestPem();
        return new CertificateSigningRequest(key, pem);
    }

    public void Dispose() => Key.Dispose();
}
