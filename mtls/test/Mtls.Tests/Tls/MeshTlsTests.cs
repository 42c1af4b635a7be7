using System.Net.Security;
using System.Security.Authentication;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;
using Meshway.Mtls.Tls;
using Meshway.Mtls.Trust;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Tests.Tls;

/// <summary>Mesh TLS on both sides with certificates from the in-process dev CA.</summary>
public sealed class MeshTlsTests : IAsyncLifetime
{
    private static readonly SpiffeId ServerId = SpiffeId.Parse("spiffe://cluster.local/ns/mesh/sa/waypoint");
    private static readonly SpiffeId ClientId = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/frontend");
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];

    private readonly DevCertificateAuthority _ca = new();
    private readonly ListLogger<MeshTlsServer> _serverLog = new();
    private readonly ListLogger<MeshTlsClient> _clientLog = new();
    private CertificateManager _serverCerts = null!;
    private CertificateManager _clientCerts = null!;
    private LoopbackTlsServer _server = null!;

    public async Task InitializeAsync()
    {
        _serverCerts = await StartedManagerAsync(_ca, ServerId);
        _clientCerts = await StartedManagerAsync(_ca, ClientId);
        _server = new LoopbackTlsServer(new MeshTlsServer(_serverCerts, _ca.Trust, "cluster.local", H2, _serverLog));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _serverCerts.DisposeAsync();
        await _clientCerts.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task Handshake_SameMesh_MutualIdentitiesTls13AndAlpn()
    {
        var client = new MeshTlsClient(_clientCerts, _ca.Trust, _clientLog);

        var (identity, serial, alpn) = await _server.HandshakeAsync(client.CreateOptions([ServerId], H2));

        Assert.Equal(ServerId, identity);
        Assert.Equal(_serverCerts.Current!.SerialNumber, serial);
        Assert.Equal(SslApplicationProtocol.Http2, alpn);
        Assert.True(await Eventually.TrueAsync(() => !_server.ClientIdentities.IsEmpty, TimeSpan.FromSeconds(5)));
        Assert.Equal([ClientId], _server.ClientIdentities);
    }

    [Fact]
    public async Task ServerOptions_AreTls13AndRequireClientCertificate()
    {
        var options = new MeshTlsServer(_serverCerts, _ca.Trust, "cluster.local", H2).GetOptions();

        Assert.Equal(SslProtocols.Tls13, options.EnabledSslProtocols);
        Assert.True(options.ClientCertificateRequired);
        Assert.Equal(H2, options.ApplicationProtocols);
    }

    [Fact]
    public async Task Handshake_ServerIdentityNotExpected_ClientRefuses()
    {
        var client = new MeshTlsClient(_clientCerts, _ca.Trust, _clientLog);
        var other = SpiffeId.Parse("spiffe://cluster.local/ns/mesh/sa/not-the-waypoint");

        await Assert.ThrowsAsync<AuthenticationException>(() => _server.HandshakeAsync(client.CreateOptions([other], H2)));
        Assert.True(_clientLog.Contains(LogLevel.Warning, $"the peer identity {ServerId} is not allowed here"), _clientLog.Dump());
    }

    [Fact]
    public async Task Handshake_ClientFromOtherTrustDomain_ServerRefuses()
    {
        // A client whose root the server trusts, but in another trust domain.
        using var foreignCa = new DevCertificateAuthority("other.domain");
        await using var foreign = await StartedManagerAsync(foreignCa, SpiffeId.Parse("spiffe://other.domain/ns/x/sa/y"));
        // The server trusts both roots, so only the trust-domain rule can refuse this client.
        var both = TrustBundleSource.FromBundle(TrustBundle.FromPem(_ca.RootPem + foreignCa.RootPem, "test"));
        await using var server = new LoopbackTlsServer(new MeshTlsServer(_serverCerts, both, "cluster.local", H2, _serverLog));
        var client = new MeshTlsClient(foreign, _ca.Trust, _clientLog);

        await Assert.ThrowsAnyAsync<Exception>(() => server.HandshakeAsync(client.CreateOptions([ServerId], H2)));
        Assert.True(await Eventually.TrueAsync(() => server.Failures == 1, TimeSpan.FromSeconds(5)));
        Assert.True(_serverLog.Contains(LogLevel.Warning, "the peer identity spiffe://other.domain/ns/x/sa/y is not allowed here"), _serverLog.Dump());
    }

    [Fact]
    public async Task Handshake_ClientFromUnknownRoot_ServerRefuses()
    {
        using var strangerCa = new DevCertificateAuthority();
        await using var stranger = await StartedManagerAsync(strangerCa, ClientId);
        var client = new MeshTlsClient(stranger, _ca.Trust, _clientLog);

        await Assert.ThrowsAnyAsync<Exception>(() => _server.HandshakeAsync(client.CreateOptions([ServerId], H2)));
        Assert.True(await Eventually.TrueAsync(() => _server.Failures == 1, TimeSpan.FromSeconds(5)));
        Assert.True(_serverLog.Contains(LogLevel.Warning, "does not chain to a mesh root"), _serverLog.Dump());
    }

    [Fact]
    public async Task Handshake_ServerFromUnknownRoot_ClientRefuses()
    {
        using var strangerCa = new DevCertificateAuthority();
        await using var stranger = await StartedManagerAsync(strangerCa, ServerId);
        await using var server = new LoopbackTlsServer(new MeshTlsServer(stranger, _ca.Trust, "cluster.local", H2));
        var client = new MeshTlsClient(_clientCerts, _ca.Trust, _clientLog);

        await Assert.ThrowsAsync<AuthenticationException>(() => server.HandshakeAsync(client.CreateOptions([ServerId], H2)));
        Assert.True(_clientLog.Contains(LogLevel.Warning, "does not chain to a mesh root"), _clientLog.Dump());
    }

    [Fact]
    public async Task Handshake_TrustBundleGainsRoot_NewClientsAcceptedWithoutRestart()
    {
        // CA rotation: a second root is added to the bundle file; the running server accepts
        // clients of the new root on the next handshake.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("root-cert.pem"), _ca.RootPem);
        using var trust = TrustBundleSource.FromFile(dir.File("root-cert.pem"), TimeSpan.Zero);
        await using var server = new LoopbackTlsServer(new MeshTlsServer(_serverCerts, trust, "cluster.local", H2));
        using var newCa = new DevCertificateAuthority();
        await using var newClient = await StartedManagerAsync(newCa, ClientId);
        var client = new MeshTlsClient(newClient, _ca.Trust, _clientLog);

        await Assert.ThrowsAnyAsync<Exception>(() => server.HandshakeAsync(client.CreateOptions([ServerId], H2)));

        File.WriteAllText(dir.File("root-cert.pem"), _ca.RootPem + newCa.RootPem);
        Assert.True(trust.Reload());
        var (identity, _, _) = await server.HandshakeAsync(client.CreateOptions([ServerId], H2));
        Assert.Equal(ServerId, identity);
    }

    [Fact]
    public async Task Options_BeforeFirstCertificate_Throw()
    {
        await using var empty = new CertificateManager(new NeverStartedSource());
        Assert.Equal(CertificateState.Initializing, empty.State);
        Assert.Throws<InvalidOperationException>(() => new MeshTlsServer(empty, _ca.Trust, "cluster.local", H2).GetOptions());
        Assert.Throws<InvalidOperationException>(() => new MeshTlsClient(empty, _ca.Trust).CreateOptions([ServerId], H2));
    }

    internal static async Task<CertificateManager> StartedManagerAsync(DevCertificateAuthority ca, SpiffeId id)
    {
        var manager = new CertificateManager(new CaCertificateSource(ca, id, TimeSpan.FromHours(1)));
        manager.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await manager.WaitUntilAvailableAsync(timeout.Token);
        return manager;
    }

    private sealed class NeverStartedSource : IWorkloadCertificateSource
    {
        public string Description => "never started";

        public TimeSpan? PollInterval => null;

        public Task<Meshway.Mtls.Certificates.WorkloadCertificate> FetchAsync(Meshway.Mtls.Certificates.WorkloadCertificate? current, CancellationToken cancellationToken)
            => throw new CertificateProvisioningException("not used");
    }
}
