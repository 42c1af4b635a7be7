using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;

namespace Meshway.Mtls.Tests.Certificates;

public class ChainValidatorTests
{
    private static readonly SpiffeId Me = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/me");

    [Fact]
    public async Task Validate_GoodChain_GivesUsableCertificate()
    {
        using var ca = new DevCertificateAuthority();
        using var csr = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var cert = ChainValidator.Validate(chain, csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow);

        Assert.Equal(Me, cert.Identity);
        Assert.True(cert.Leaf.HasPrivateKey);
        Assert.Equal(TimeSpan.FromHours(1), cert.Lifetime);
        Assert.Single(cert.Roots);
        Assert.Empty(cert.Intermediates);
        Assert.Equal(string.Concat(chain), cert.ChainPem);
        Assert.NotNull(cert.Context);
    }

    [Fact]
    public async Task Validate_OneElementChain_Rejected()
    {
        using var ca = new DevCertificateAuthority();
        using var csr = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate([chain[0]], csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("chain of one certificate", ex.Message);
    }

    [Fact]
    public void Validate_Garbage_Rejected()
    {
        using var csr = CertificateSigningRequest.Create(Me);
        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(["garbage", "more garbage"], csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("element 0 of the CA's chain is not a PEM certificate", ex.Message);
    }

    [Fact]
    public async Task Validate_LeafForAnotherKey_Rejected()
    {
        using var ca = new DevCertificateAuthority();
        using var theirs = CertificateSigningRequest.Create(Me);
        using var ours = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(theirs.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(chain, ours.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("different public key", ex.Message);
    }

    [Fact]
    public async Task Validate_WrongIdentity_Rejected()
    {
        using var ca = new DevCertificateAuthority();
        var other = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/someone-else");
        using var csr = CertificateSigningRequest.Create(other);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(chain, csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains($"is for identity {other}, expected {Me}", ex.Message);
    }

    [Fact]
    public async Task Validate_NoExpectedIdentity_StillRequiresTrustDomain()
    {
        using var ca = new DevCertificateAuthority("other.domain");
        var id = SpiffeId.Parse("spiffe://other.domain/ns/a/sa/b");
        using var csr = CertificateSigningRequest.Create(id);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(chain, csr.Key, default, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("outside trust domain 'cluster.local'", ex.Message);
    }

    [Fact]
    public async Task Validate_ExpiredLeaf_Rejected()
    {
        var past = new ManualTime(DateTimeOffset.UtcNow.AddHours(-3));
        using var ca = new DevCertificateAuthority(time: past);
        using var csr = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(chain, csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("expired at", ex.Message);
    }

    [Fact]
    public async Task Validate_NotYetValidLeaf_Rejected()
    {
        using var ca = new DevCertificateAuthority();
        using var csr = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate(chain, csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow.AddMinutes(-10)));
        Assert.Contains("is not valid before", ex.Message);
    }

    [Fact]
    public async Task Validate_RootThatDidNotSignTheLeaf_Rejected()
    {
        using var ca = new DevCertificateAuthority();
        using var stranger = new DevCertificateAuthority();
        using var csr = CertificateSigningRequest.Create(Me);
        var chain = await ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);

        var ex = Assert.Throws<CertificateProvisioningException>(
            () => ChainValidator.Validate([chain[0], stranger.RootPem], csr.Key, Me, "cluster.local", DateTimeOffset.UtcNow));
        Assert.Contains("does not verify to its own root", ex.Message);
    }
}
