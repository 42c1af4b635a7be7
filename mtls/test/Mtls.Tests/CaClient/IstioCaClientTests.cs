using Meshway.Mtls.CaClient;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Tests.CaClient;

/// <summary>One Node CA process shared by a test class (tests in a class run one at a time).</summary>
public sealed class SharedCaFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public NodeCa Ca { get; private set; } = null!;

    public async Task InitializeAsync() => Ca = await NodeCa.StartAsync(_dir.File("ca"), "--cluster-id", "test-cluster");

    public async Task DisposeAsync()
    {
        await Ca.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The C# CA client against the Node/grpc-js test CA: the wire format and every fault.</summary>
public sealed class IstioCaClientTests : IClassFixture<SharedCaFixture>, IDisposable
{
    private static readonly SpiffeId Waypoint = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private readonly TempDirectory _dir = new();
    private readonly NodeCa _ca;
    private readonly string _token;
    private readonly int _signedBefore;

    public IstioCaClientTests(SharedCaFixture fixture)
    {
        _ca = fixture.Ca;
        _ca.SetFault("none");
        _signedBefore = _ca.Signed.Count;
        _token = TestTokens.WriteFile(_dir.Path, "default", "waypoint");
    }

    public void Dispose()
    {
        _ca.SetFault("none");
        _dir.Dispose();
    }

    private IEnumerable<string> SignedByThisTest => _ca.Signed.Skip(_signedBefore);

    [Fact]
    public async Task CreateCertificate_NodeCa_ReturnsValidChainForTokenIdentity()
    {
        using var client = Client(_ca);
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var chain = await client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(30), default);
        var cert = ChainValidator.Validate(chain, csr.Key, Waypoint, "cluster.local", DateTimeOffset.UtcNow);

        Assert.Equal(2, chain.Count);
        Assert.All(chain, pem => Assert.EndsWith("\n", pem));
        Assert.Equal(Waypoint, cert.Identity);
        // validity_duration (field 3) reached the CA: it signed for exactly what we asked.
        Assert.Equal(TimeSpan.FromMinutes(30), cert.Lifetime);
        Assert.Equal(File.ReadAllText(_ca.RootPath).Trim(), chain[1].Trim());
        Assert.Equal([Waypoint.ToString()], SignedByThisTest);
    }

    [Fact]
    public async Task CreateCertificate_IdentityComesFromToken_NotFromCsr()
    {
        // istiod ignores the CSR's SAN; so does the test CA. A CSR for another identity still gets
        // the token's identity, and our validation catches the mismatch.
        using var client = Client(_ca);
        var claimed = SpiffeId.Parse("spiffe://cluster.local/ns/kube-system/sa/admin");
        var source = new CaCertificateSource(client, claimed);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(() => source.FetchAsync(null, default));
        Assert.Contains($"is for identity {Waypoint}, expected {claimed}", ex.Message);
    }

    [Fact]
    public async Task CreateCertificate_TokenRereadOnEachCall()
    {
        using var client = Client(_ca);
        using var csr = CertificateSigningRequest.Create(Waypoint);
        await client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default);

        File.WriteAllText(_token, TestTokens.For("other", "rotated"));
        await client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default);

        Assert.Equal([Waypoint.ToString(), "spiffe://cluster.local/ns/other/sa/rotated"], SignedByThisTest);
    }

    [Fact]
    public async Task CreateCertificate_TokenFileMissing_ClearError()
    {
        using var client = Client(_ca, tokenPath: _dir.File("no-such-token"));
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains($"token file '{_dir.File("no-such-token")}' does not exist", ex.Message);
        Assert.Empty(SignedByThisTest);
    }

    [Fact]
    public async Task CreateCertificate_NotAServiceAccountToken_Unauthenticated()
    {
        File.WriteAllText(_token, "opaque-token");
        using var client = Client(_ca);
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains("refused the request: UNAUTHENTICATED: token is not a JWT", ex.Message);
    }

    [Fact]
    public async Task CreateCertificate_WrongClusterId_Unauthenticated()
    {
        using var client = Client(_ca, clusterId: "elsewhere");
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains("UNAUTHENTICATED: clusterid 'elsewhere' is not 'test-cluster'", ex.Message);
    }

    [Fact]
    public async Task CreateCertificate_CaCertificateNotFromMeshRoot_Refused()
    {
        // Trusting a different root: the CA's server certificate must be rejected, token unsent.
        using var stranger = new DevCertificateAuthority();
        using var client = new IstioCaClient(new IstioCaClientOptions
        {
            Address = _ca.Address,
            Trust = stranger.Trust,
            TokenPath = _token,
            ClusterId = "test-cluster",
        });
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains($"cannot reach the mesh CA at {_ca.Address}", ex.Message);
        Assert.Contains("the CA certificate does not chain to the mesh root", ex.Message);
        Assert.Empty(SignedByThisTest);
    }

    [Fact]
    public async Task CreateCertificate_CaCertificateNotForThatHost_Refused()
    {
        // The CA's certificate names 127.0.0.1, localhost and istiod.istio-system.svc, not 127.0.0.2.
        await using var ca = await NodeCa.StartAsync(_dir.File("ca-other-host"), "--host", "127.0.0.2");
        using var client = Client(ca, address: $"127.0.0.2:{ca.Port}");
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains("the CA certificate is not valid for host '127.0.0.2'", ex.Message);
        Assert.Empty(ca.Signed);
    }

    [Fact]
    public async Task CreateCertificate_NothingListening_CannotReach()
    {
        var port = NodeCa.FreePort();
        using var client = Client(_ca, address: $"127.0.0.1:{port}");
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains($"cannot reach the mesh CA at 127.0.0.1:{port}", ex.Message);
        Assert.Contains("refused", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("down", "refused the request: UNAVAILABLE: test CA is unavailable")]
    [InlineData("garbage", "rejected certificate from the CA: element 0 of the CA's chain is not a PEM certificate")]
    [InlineData("one-element", "rejected certificate from the CA: the CA returned a chain of one certificate")]
    [InlineData("wrong-identity", "rejected certificate from the CA: the leaf certificate is for identity spiffe://cluster.local/ns/intruder-ns/sa/intruder, expected spiffe://cluster.local/ns/default/sa/waypoint")]
    [InlineData("wrong-key", "is for a different public key than the one in our CSR")]
    [InlineData("expired", "expired at")]
    [InlineData("not-yet-valid", "is not valid before")]
    public async Task Fetch_FaultyCa_RejectedWithClearMessage(string fault, string expected)
    {
        _ca.SetFault(fault);
        using var client = Client(_ca);
        var source = new CaCertificateSource(client, Waypoint);

        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(() => source.FetchAsync(null, default));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task Fetch_SlowCa_DeadlineExceeded()
    {
        // The test CA's slow mode waits 10 s; our deadline is 0.5 s.
        _ca.SetFault("slow");
        using var client = Client(_ca, timeout: TimeSpan.FromMilliseconds(500));
        using var csr = CertificateSigningRequest.Create(Waypoint);

        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<CertificateProvisioningException>(
            () => client.CreateCertificateAsync(csr.Pem, TimeSpan.FromMinutes(5), default));
        Assert.Contains("did not answer within 0.5s (deadline exceeded)", ex.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), "the local deadline must cut the call short");
    }

    private IstioCaClient Client(NodeCa ca, string? tokenPath = null, string clusterId = "test-cluster", string? address = null, TimeSpan? timeout = null)
        => new(new IstioCaClientOptions
        {
            Address = address ?? ca.Address,
            Trust = TrustBundleSource.FromFile(ca.RootPath, TimeSpan.Zero),
            TokenPath = tokenPath ?? _token,
            ClusterId = clusterId,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        });
}
