using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Cli;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.CaClient;
using Meshway.Mtls.Tests.Infrastructure;

namespace Meshway.Mtls.Tests.Cli;

/// <summary><c>meshway identity fetch</c> end to end against the Node CA.</summary>
public sealed class IdentityFetchCommandTests : IClassFixture<SharedCaFixture>, IDisposable
{
    private readonly NodeCa _ca;
    private readonly TempDirectory _dir = new();
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();
    private readonly string _token;

    public IdentityFetchCommandTests(SharedCaFixture fixture)
    {
        _ca = fixture.Ca;
        _ca.SetFault("none");
        _token = TestTokens.WriteFile(_dir.Path, "payments", "api");
    }

    public void Dispose()
    {
        _ca.SetFault("none");
        _dir.Dispose();
    }

    [Fact]
    public async Task Fetch_PrintsIdentityAndWritesIstioFiles_ThatTheFileSourceLoads()
    {
        var outDir = _dir.File("out");

        var exit = await Run("--ca-address", _ca.Address, "--ca-root", _ca.RootPath, "--token-file", _token,
            "--cluster-id", "test-cluster", "--out", outDir);

        Assert.True(exit == 0, _stderr.ToString());
        var stdout = _stdout.ToString();
        Assert.Contains("identity: spiffe://cluster.local/ns/payments/sa/api", stdout);
        Assert.Matches(@"serial:   [0-9A-F]{32}", stdout);
        Assert.Matches(@"valid:    \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(24h\)", stdout);
        Assert.Contains("chain:    2 certificates", stdout);
        Assert.Equal(string.Empty, _stderr.ToString());

        // The files are Istio's names and content: leaf+root chain, matching key, CA root.
        using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(outDir, "cert-chain.pem"), Path.Combine(outDir, "key.pem"));
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal(File.ReadAllText(_ca.RootPath).Trim(), File.ReadAllText(Path.Combine(outDir, "root-cert.pem")).Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "key.pem")));
        }

        // And --mesh-cert-dir can serve them.
        using var source = new FileCertificateSource(outDir, SpiffeId.Parse("spiffe://cluster.local/ns/payments/sa/api"));
        await using var manager = new CertificateManager(source);
        manager.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await manager.WaitUntilAvailableAsync(timeout.Token);
        Assert.Equal(leaf.SerialNumber, manager.Current!.SerialNumber);
    }

    [Fact]
    public async Task Fetch_TokenFileMissing_ExitsNonZeroWithClearMessage()
    {
        var exit = await Run("--ca-address", _ca.Address, "--ca-root", _ca.RootPath, "--token-file", _dir.File("nope"));

        Assert.Equal(IdentityFetchCommand.ExitFailed, exit);
        Assert.Contains($"identity fetch failed: token file '{_dir.File("nope")}' does not exist", _stderr.ToString());
        Assert.Equal(string.Empty, _stdout.ToString());
    }

    [Fact]
    public async Task Fetch_RootFileMissing_ExitsNonZeroWithClearMessage()
    {
        var exit = await Run("--ca-address", _ca.Address, "--ca-root", _dir.File("no-root.pem"), "--token-file", _token);

        Assert.Equal(IdentityFetchCommand.ExitFailed, exit);
        Assert.Contains($"CA root file '{_dir.File("no-root.pem")}' does not exist", _stderr.ToString());
    }

    [Fact]
    public async Task Fetch_CaNotListening_ExitsNonZero()
    {
        var port = NodeCa.FreePort();
        var exit = await Run("--ca-address", $"127.0.0.1:{port}", "--ca-root", _ca.RootPath, "--token-file", _token);

        Assert.Equal(IdentityFetchCommand.ExitFailed, exit);
        Assert.Contains($"cannot reach the mesh CA at 127.0.0.1:{port}", _stderr.ToString());
    }

    [Fact]
    public async Task Fetch_CaReturnsOneElementChain_ExitsNonZeroAndWritesNothing()
    {
        _ca.SetFault("one-element");
        var outDir = _dir.File("out");

        var exit = await Run("--ca-address", _ca.Address, "--ca-root", _ca.RootPath, "--token-file", _token, "--cluster-id", "test-cluster", "--out", outDir);

        Assert.Equal(IdentityFetchCommand.ExitFailed, exit);
        Assert.Contains("chain of one certificate", _stderr.ToString());
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("--bogus", "x")]
    [InlineData("--ca-address")]
    public async Task Fetch_BadArguments_ExitTwoWithUsage(params string[] args)
    {
        var exit = await Run(args);

        Assert.Equal(IdentityFetchCommand.ExitUsage, exit);
        Assert.Contains("usage: meshway identity fetch", _stderr.ToString());
    }

    private Task<int> Run(params string[] args) => IdentityFetchCommand.RunAsync(args, _stdout, _stderr, CancellationToken.None);
}
