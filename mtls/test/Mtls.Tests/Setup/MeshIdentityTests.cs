using System.Net.Security;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Setup;
using Meshway.Mtls.Tests.CaClient;
using Meshway.Mtls.Tests.Infrastructure;

namespace Meshway.Mtls.Tests.Setup;

/// <summary>The three ways the executable gets an identity, built the way it builds them.</summary>
public sealed class MeshIdentityTests : IClassFixture<SharedCaFixture>, IDisposable
{
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private readonly NodeCa _ca;
    private readonly TempDirectory _dir = new();

    public MeshIdentityTests(SharedCaFixture fixture)
    {
        _ca = fixture.Ca;
        _ca.SetFault("none");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DevCa_WritesRoot_AndTwoProcessesShareItForMutualTls()
    {
        // Two identities from one dev CA (one process would share its CA between roles).
        var rootOut = _dir.File("dev-root.pem");
        await using var server = MeshIdentity.Create(new MeshIdentityOptions
        {
            Mode = MeshCertificateMode.DevCa,
            DevRootOutput = rootOut,
        });
        server.Start();
        await server.Certificates.WaitUntilAvailableAsync(new CancellationTokenSource(Bound).Token);

        Assert.True(server.Certificates.IsReady);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/meshway", server.Certificates.Current!.Identity.ToString());
        Assert.Equal(File.ReadAllText(rootOut), server.Trust.Current.Pem);
        Assert.Equal(TimeSpan.FromHours(24), server.Certificates.Current.Lifetime);

        // Self-connection: the same identity is both ends (a waypoint calling itself).
        await using var listener = new LoopbackTlsServer(server.CreateServer(H2));
        var (identity, _, _) = await listener.HandshakeAsync(server.Client.CreateOptions([server.Certificates.Current.Identity], H2));
        Assert.Equal(server.Certificates.Current.Identity, identity);
    }

    [Fact]
    public async Task IstioCa_IdentityFromToken_Available()
    {
        var token = TestTokens.WriteFile(_dir.Path, "istio-system", "meshway-waypoint");
        await using var identity = MeshIdentity.Create(new MeshIdentityOptions
        {
            CaAddress = _ca.Address,
            RootFile = _ca.RootPath,
            TokenFile = token,
            ClusterId = "test-cluster",
        });
        identity.Start();
        await identity.Certificates.WaitUntilAvailableAsync(new CancellationTokenSource(Bound).Token);

        Assert.Equal("spiffe://cluster.local/ns/istio-system/sa/meshway-waypoint", identity.Certificates.Current!.Identity.ToString());
        Assert.Equal(CertificateState.Available, identity.Certificates.GetStatus().State);
        Assert.Contains(_ca.Address, identity.Certificates.GetStatus().Source);
    }

    [Fact]
    public void IstioCa_TokenMissing_ClearErrorAtStartup()
    {
        var ex = Assert.Throws<CertificateProvisioningException>(() => MeshIdentity.Create(new MeshIdentityOptions
        {
            CaAddress = _ca.Address,
            RootFile = _ca.RootPath,
            TokenFile = _dir.File("istio-token"),
        }));
        Assert.Contains($"token file '{_dir.File("istio-token")}' does not exist", ex.Message);
    }

    [Fact]
    public void IstioCa_RootMissing_ClearErrorAtStartup()
    {
        var ex = Assert.Throws<CertificateProvisioningException>(() => MeshIdentity.Create(new MeshIdentityOptions
        {
            RootFile = _dir.File("root-cert.pem"),
            TokenFile = TestTokens.WriteFile(_dir.Path, "a", "b"),
        }));
        Assert.Contains($"mesh root file '{_dir.File("root-cert.pem")}' does not exist", ex.Message);
    }

    [Fact]
    public async Task CertDirectory_ServesFilesFromIdentityFetch()
    {
        var token = TestTokens.WriteFile(_dir.Path, "edge", "gateway");
        var outDir = _dir.File("certs");
        var exit = await Meshway.Mtls.Cli.IdentityFetchCommand.RunAsync(
            ["--ca-address", _ca.Address, "--ca-root", _ca.RootPath, "--token-file", token, "--cluster-id", "test-cluster", "--out", outDir],
            TextWriter.Null, TextWriter.Null, default);
        Assert.Equal(0, exit);

        await using var identity = MeshIdentity.Create(new MeshIdentityOptions
        {
            Mode = MeshCertificateMode.CertDirectory,
            CertDirectory = outDir,
            Identity = SpiffeId.Parse("spiffe://cluster.local/ns/edge/sa/gateway"),
        });
        identity.Start();
        await identity.Certificates.WaitUntilAvailableAsync(new CancellationTokenSource(Bound).Token);

        await using var listener = new LoopbackTlsServer(identity.CreateServer(H2));
        var (peer, _, _) = await listener.HandshakeAsync(identity.Client.CreateOptions([identity.Certificates.Current!.Identity], H2));
        Assert.Equal("spiffe://cluster.local/ns/edge/sa/gateway", peer.ToString());
    }
}
