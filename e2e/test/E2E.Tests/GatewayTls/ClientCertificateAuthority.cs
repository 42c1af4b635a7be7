using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>
/// A throwaway CA made at test time that issues client certificates (EKU clientAuth), written as PEM files
/// for curl, openssl and Node, and as the ca.crt a ConfigMap carries.
/// </summary>
internal sealed class ClientCertificateAuthority
{
    private readonly X509Certificate2 _ca;

    private ClientCertificateAuthority(X509Certificate2 ca) => _ca = ca;

    public string CertificatePem => _ca.ExportCertificatePem();

    public static ClientCertificateAuthority Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new ClientCertificateAuthority(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)));
    }

    /// <summary>A client certificate for <paramref name="commonName"/>, written to DIR/NAME.crt.pem.txt and DIR/NAME.key.pem.txt.</summary>
    public (string CertificateFile, string KeyFile) IssueClient(string commonName, string directory, string usageOid = "1.3.6.1.5.5.7.3.2")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        using var caKey = _ca.GetECDsaPrivateKey()!;
        using var leaf = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
        Directory.CreateDirectory(directory);
        var certificateFile = Path.Combine(directory, commonName + ".crt.pem.txt");
        var keyFile = Path.Combine(directory, commonName + ".key.pem.txt");
        File.WriteAllText(certificateFile, leaf.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certificateFile, keyFile);
    }

    /// <summary>A ConfigMap holding this CA under ca.crt.</summary>
    public string ConfigMapYaml(string ns, string name) => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{name}}
          namespace: {{ns}}
        data:
          ca.crt: |
        {{string.Concat(CertificatePem.Trim().Split('\n').Select(l => "    " + l.TrimEnd('\r') + "\n"))}}
        """;
}
