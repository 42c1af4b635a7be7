using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;

namespace Meshway.Mtls.Tests.Provisioning;

public sealed class DevCertificateAuthorityTests
{
    [Fact]
    public void WriteRoot_WritesLoadableCaCertificate()
    {
        using var dir = new TempDirectory();
        using var ca = new DevCertificateAuthority("dev.local");
        var path = Path.Combine(dir.Path, "nested", "root-cert.pem");

        ca.WriteRoot(path);

        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(path));
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Contains("dev.local", root.Subject);
    }

    [Fact]
    public async Task CreateCertificate_CsrOutsideTrustDomain_Refused()
    {
        using var ca = new DevCertificateAuthority("dev.local");
        using var csr = CertificateSigningRequest.Create(SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/b"));

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default));
        Assert.Contains("trust domain 'dev.local'", ex.Message);
    }

    [Fact]
    public async Task CreateCertificate_IssuesWorkloadLeafWithRequestedLifetime()
    {
        using var ca = new DevCertificateAuthority();
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/b");
        using var csr = CertificateSigningRequest.Create(id);

        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(90), default);

        var cert = ChainValidator.Validate(chain, csr.Key, id, "cluster.local", DateTimeOffset.UtcNow);
        Assert.Equal(TimeSpan.FromMinutes(90), cert.Lifetime);
        Assert.False(cert.Leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(ca.RootPem, chain[^1]);
    }
}
