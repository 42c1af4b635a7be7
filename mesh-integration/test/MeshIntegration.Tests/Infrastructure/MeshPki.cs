using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tls;

namespace Meshway.MeshIntegration.Tests.Infrastructure;

/// <summary>A certificate issued to one identity, also written as PEM files for the Node stand-ins.</summary>
public sealed record IssuedCertificate(SpiffeId Identity, CertificateManager Manager, string CertPath, string KeyPath);

/// <summary>
/// A dev CA (the mtls work's in-process CA) for one test: issues workload certificates through the same
/// CertificateManager path the executable uses, and writes root, chain and key files for Node.
/// </summary>
public sealed class MeshPki : IAsyncDisposable
{
    private readonly List<CertificateManager> _managers = [];

    public MeshPki(string trustDomain = SpiffeId.DefaultTrustDomain)
    {
        Ca = new DevCertificateAuthority(trustDomain);
        Directory = Path.Combine(Path.GetTempPath(), "meshway-pki-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        RootPath = Path.Combine(Directory, "root.pem");
        Ca.WriteRoot(RootPath);
    }

    public DevCertificateAuthority Ca { get; }

    public string Directory { get; }

    public string RootPath { get; }

    public async Task<IssuedCertificate> IssueAsync(string spiffeId)
    {
        var id = SpiffeId.Parse(spiffeId);
        var manager = new CertificateManager(new CaCertificateSource(Ca, id, TimeSpan.FromHours(1)));
        _managers.Add(manager);
        manager.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await manager.WaitUntilAvailableAsync(timeout.Token);
        var stem = Path.Combine(Directory, id.Namespace + "-" + id.ServiceAccount + "-" + _managers.Count);
        await File.WriteAllTextAsync(stem + ".crt", manager.Current!.ChainPem);
        await File.WriteAllTextAsync(stem + ".key", manager.Current!.KeyPem);
        return new IssuedCertificate(id, manager, stem + ".crt", stem + ".key");
    }

    public MeshTlsClient Client(IssuedCertificate certificate) => new(certificate.Manager, Ca.Trust);

    public async ValueTask DisposeAsync()
    {
        foreach (var manager in _managers)
        {
            await manager.DisposeAsync();
        }

        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
