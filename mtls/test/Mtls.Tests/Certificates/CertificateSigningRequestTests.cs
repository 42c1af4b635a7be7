using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Tests.Certificates;

public class CertificateSigningRequestTests
{
    [Fact]
    public void Create_P256KeyAndUriSan_InSignedPem()
    {
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/waypoint");
        using var csr = CertificateSigningRequest.Create(id);

        Assert.StartsWith("-----BEGIN CERTIFICATE REQUEST-----", csr.Pem);
        Assert.Equal(256, csr.Key.KeySize);
        // Loading checks the signature; extensions are needed to see the SAN.
        var parsed = CertificateRequest.LoadSigningRequestPem(csr.Pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal("1.2.840.10045.2.1", parsed.PublicKey.Oid.Value); // id-ecPublicKey
        Assert.Equal(csr.Key.ExportSubjectPublicKeyInfo(), parsed.PublicKey.ExportSubjectPublicKeyInfo());
        var san = Assert.Single(parsed.CertificateExtensions, e => e.Oid?.Value == "2.5.29.17");
        Assert.True(san.Critical);
        Assert.Equal([id.ToString()], SubjectAltNames.ReadUris(san.RawData));
    }

    [Fact]
    public void Create_EachCallHasANewKey()
    {
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/waypoint");
        using var a = CertificateSigningRequest.Create(id);
        using var b = CertificateSigningRequest.Create(id);
        Assert.NotEqual(a.Key.ExportSubjectPublicKeyInfo(), b.Key.ExportSubjectPublicKeyInfo());
    }
}
