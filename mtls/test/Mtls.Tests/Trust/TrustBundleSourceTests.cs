using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;
using Meshway.Mtls.Trust;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Tests.Trust;

public sealed class TrustBundleSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly DevCertificateAuthority _old = new();
    private readonly DevCertificateAuthority _new = new();

    public void Dispose()
    {
        _old.Dispose();
        _new.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task FromFile_Polled_PicksUpSecondRoot()
    {
        var path = _dir.File("root-cert.pem");
        File.WriteAllText(path, _old.RootPem);
        using var source = TrustBundleSource.FromFile(path, TimeSpan.FromMilliseconds(50));
        var changed = 0;
        source.Changed += _ => Interlocked.Increment(ref changed);
        Assert.Single(source.Current.Roots);

        File.WriteAllText(path, _old.RootPem + _new.RootPem);

        Assert.True(await Eventually.TrueAsync(() => source.Current.Roots.Count == 2, TimeSpan.FromSeconds(5)));
        Assert.Equal(1, Volatile.Read(ref changed));
    }

    [Fact]
    public void Reload_BadContent_KeepsLastGoodBundleAndLogs()
    {
        var path = _dir.File("root-cert.pem");
        File.WriteAllText(path, _old.RootPem);
        var log = new ListLogger<TrustBundleSource>();
        using var source = TrustBundleSource.FromFile(path, TimeSpan.Zero, log);
        var before = source.Current;

        File.WriteAllText(path, "not a certificate");
        Assert.False(source.Reload());
        File.Delete(path);
        Assert.False(source.Reload());

        Assert.Same(before, source.Current);
        Assert.True(log.Contains(LogLevel.Warning, "contains no certificate"), log.Dump());
        Assert.True(log.Contains(LogLevel.Warning, "does not exist"), log.Dump());
    }

    [Fact]
    public void Update_FromConfigMapPush_Published()
    {
        using var source = TrustBundleSource.FromBundle(TrustBundle.FromPem(_old.RootPem, "initial"));

        Assert.True(source.Update(_new.RootPem, "ConfigMap istio-ca-root-cert"));
        Assert.False(source.Update(_new.RootPem, "ConfigMap istio-ca-root-cert"));

        Assert.Equal(_new.RootPem, source.Current.Pem);
    }

    [Fact]
    public void FromFile_Missing_Throws()
        => Assert.Contains("does not exist",
            Assert.Throws<CertificateProvisioningException>(() => TrustBundleSource.FromFile(_dir.File("x.pem"), TimeSpan.Zero)).Message);
}
