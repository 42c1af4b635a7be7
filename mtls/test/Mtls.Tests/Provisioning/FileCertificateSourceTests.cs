using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Tests.Provisioning;

/// <summary><c>--mesh-cert-dir</c>: Istio-named files, re-read when they change.</summary>
public sealed class FileCertificateSourceTests : IDisposable
{
    private static readonly SpiffeId Id = SpiffeId.Parse("spiffe://cluster.local/ns/edge/sa/ingress");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();
    private readonly DevCertificateAuthority _ca = new();
    private readonly ListLogger<CertificateManager> _log = new();

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Files_Loaded_ThenReplaced_NewCertificatePickedUp()
    {
        var first = await WriteAsync(Id, TimeSpan.FromHours(1));
        using var source = new FileCertificateSource(_dir.Path, Id, TimeSpan.FromMilliseconds(100));
        await using var manager = await StartAsync(source);
        Assert.Equal(first.SerialNumber, manager.Current!.SerialNumber);
        Assert.Equal(Id, manager.Current.Identity);
        Assert.Equal(_ca.RootPem, source.Trust.Current.Pem);

        var second = await WriteAsync(Id, TimeSpan.FromHours(1));

        Assert.True(await Eventually.TrueAsync(() => manager.Current!.SerialNumber == second.SerialNumber, Bound));
        Assert.Equal(2, manager.Rotations);
    }

    [Fact]
    public async Task Files_KeyDoesNotMatch_OldCertificateKeptWithWarning()
    {
        var first = await WriteAsync(Id, TimeSpan.FromHours(1));
        using var source = new FileCertificateSource(_dir.Path, Id, TimeSpan.FromMilliseconds(100));
        await using var manager = await StartAsync(source);

        // A half-written update: new chain, old key.
        var chain = await SignAsync(Id, TimeSpan.FromHours(1));
        File.WriteAllText(Path.Combine(_dir.Path, "cert-chain.pem"), chain.ChainPem);

        Assert.True(await Eventually.TrueAsync(() => _log.Contains(LogLevel.Warning, "key.pem is not an ECDSA private key matching cert-chain.pem"), Bound), _log.Dump());
        Assert.Equal(first.SerialNumber, manager.Current!.SerialNumber);
        Assert.Equal(CertificateState.Available, manager.State);

        // The key arrives: the new certificate is taken.
        File.WriteAllText(Path.Combine(_dir.Path, "key.pem"), chain.KeyPem);
        Assert.True(await Eventually.TrueAsync(() => manager.Current!.SerialNumber == chain.SerialNumber, Bound));
    }

    [Fact]
    public async Task Files_ExpiredCertificate_StateExpired()
    {
        using var pastCa = new DevCertificateAuthority(time: new ManualTime(DateTimeOffset.UtcNow.AddHours(-2)));
        File.WriteAllText(Path.Combine(_dir.Path, "root-cert.pem"), pastCa.RootPem);
        using var csr = CertificateSigningRequest.Create(Id);
        var chain = await pastCa.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);
        File.WriteAllText(Path.Combine(_dir.Path, "cert-chain.pem"), string.Concat(chain));
        File.WriteAllText(Path.Combine(_dir.Path, "key.pem"), csr.Key.ExportPkcs8PrivateKeyPem());

        using var source = new FileCertificateSource(_dir.Path, Id, TimeSpan.FromMilliseconds(100));
        await using var manager = await StartAsync(source);

        Assert.Equal(CertificateState.Expired, manager.State);
        Assert.False(manager.IsReady);
    }

    [Fact]
    public async Task Files_WrongIdentity_Rejected()
    {
        await WriteAsync(SpiffeId.Parse("spiffe://cluster.local/ns/edge/sa/someone-else"), TimeSpan.FromHours(1));
        using var source = new FileCertificateSource(_dir.Path, Id);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(() => source.FetchAsync(null, default));
        Assert.Contains("cert-chain.pem is for identity spiffe://cluster.local/ns/edge/sa/someone-else, expected " + Id, ex.Message);
    }

    [Fact]
    public async Task Files_Missing_ClearErrors()
    {
        Assert.Contains("root-cert.pem' does not exist",
            Assert.Throws<CertificateProvisioningException>(() => new FileCertificateSource(_dir.Path)).Message);

        File.WriteAllText(Path.Combine(_dir.Path, "root-cert.pem"), _ca.RootPem);
        using var source = new FileCertificateSource(_dir.Path);
        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(() => source.FetchAsync(null, default));
        Assert.Equal($"certificate directory '{_dir.Path}': cert-chain.pem does not exist", ex.Message);
    }

    private async Task<CertificateManager> StartAsync(FileCertificateSource source)
    {
        var manager = new CertificateManager(source, CaSetup.FastRetries, _log);
        manager.Start();
        using var timeout = new CancellationTokenSource(Bound);
        await manager.WaitUntilAvailableAsync(timeout.Token);
        return manager;
    }

    private async Task<WorkloadCertificate> SignAsync(SpiffeId id, TimeSpan validity)
    {
        using var csr = CertificateSigningRequest.Create(id);
        var chain = await _ca.CreateCertificateAsync(csr.Pem, validity, default);
        return ChainValidator.Validate(chain, csr.Key, id, id.TrustDomain, DateTimeOffset.UtcNow);
    }

    private async Task<WorkloadCertificate> WriteAsync(SpiffeId id, TimeSpan validity)
    {
        var cert = await SignAsync(id, validity);
        File.WriteAllText(Path.Combine(_dir.Path, "root-cert.pem"), _ca.RootPem);
        File.WriteAllText(Path.Combine(_dir.Path, "key.pem"), cert.KeyPem);
        File.WriteAllText(Path.Combine(_dir.Path, "cert-chain.pem"), cert.ChainPem);
        return cert;
    }
}
