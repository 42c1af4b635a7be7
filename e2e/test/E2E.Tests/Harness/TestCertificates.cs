using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.E2E.Tests.Harness;

/// <summary>Self-signed server certificates made at test time (nothing secret is checked in).</summary>
public static class TestCertificates
{
    public sealed record Pem(string CommonName, string CertificatePem, string KeyPem, string Thumbprint);

    public static Pem Create(string commonName, params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Length == 0 ? [commonName] : dnsNames)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return new Pem(commonName, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), certificate.Thumbprint);
    }
}
