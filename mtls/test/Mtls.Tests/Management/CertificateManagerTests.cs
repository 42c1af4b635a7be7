using System.Diagnostics.Metrics;
using System.Text.Json;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Tests.CaClient;
using Meshway.Mtls.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Tests.Management;

/// <summary>Fetch, renewal, retries and faults of the certificate manager against the Node CA.</summary>
public sealed class CertificateManagerTests : IDisposable
{
    private static readonly SpiffeId Waypoint = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();
    private readonly ListLogger<CertificateManager> _log = new();
    private readonly string _token;

    public CertificateManagerTests() => _token = TestTokens.WriteFile(_dir.Path, "default", "waypoint");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Start_CaDown_NotReadyAndRetries_ThenAvailableWhenCaComesUp()
    {
        var stateDir = _dir.File("ca");
        await NodeCa.InitRootAsync(stateDir);
        var port = NodeCa.FreePort();
        await using var manager = CaSetup.Manager($"127.0.0.1:{port}", Path.Combine(stateDir, "root-cert.pem"), _token, Waypoint, TimeSpan.FromMinutes(10), _log);
        manager.Start();

        Assert.True(await Eventually.TrueAsync(() => manager.GetStatus().Failures >= 3, Bound), _log.Dump());
        Assert.Equal(CertificateState.Initializing, manager.State);
        Assert.False(manager.IsReady);
        Assert.Null(manager.Current);
        Assert.False(manager.WaitUntilAvailableAsync(default).IsCompleted);
        Assert.True(_log.Contains(LogLevel.Error, $"No workload certificate from mesh CA 127.0.0.1:{port}: cannot reach the mesh CA"), _log.Dump());

        await using var ca = await NodeCa.StartAsync(stateDir, "--port", port.ToString());
        using var timeout = new CancellationTokenSource(Bound);
        await manager.WaitUntilAvailableAsync(timeout.Token);

        Assert.True(manager.IsReady);
        Assert.Equal(CertificateState.Available, manager.State);
        Assert.Equal(Waypoint, manager.Current!.Identity);
        Assert.Null(manager.LastError);
    }

    [Fact]
    public async Task Renewal_CaDown_KeepsOldCertificateUntilExpiry_ThenExpired_ThenRecovers()
    {
        var stateDir = _dir.File("ca");
        var ca = await NodeCa.StartAsync(stateDir);
        var port = ca.Port;
        await using var manager = CaSetup.Manager(ca.Address, ca.RootPath, _token, Waypoint, TimeSpan.FromSeconds(4), _log);
        manager.Start();
        using (var timeout = new CancellationTokenSource(Bound))
        {
            await manager.WaitUntilAvailableAsync(timeout.Token);
        }

        var first = manager.Current!;
        await ca.DisposeAsync();

        // Past half life the renewal fails; the old certificate keeps serving while valid.
        Assert.True(await Eventually.TrueAsync(() => manager.GetStatus().Failures >= 2, Bound), _log.Dump());
        Assert.Same(first, manager.Current);
        if (DateTimeOffset.UtcNow < first.NotAfter.AddMilliseconds(-300))
        {
            Assert.Equal(CertificateState.Available, manager.State);
        }

        Assert.True(_log.Contains(LogLevel.Warning, $"still serving serial {first.SerialNumber}"), _log.Dump());

        // After expiry: state Expired, not ready, and one clear line about it.
        Assert.True(await Eventually.TrueAsync(() => manager.State == CertificateState.Expired, Bound));
        Assert.False(manager.IsReady);
        Assert.Same(first, manager.Current);
        Assert.True(await Eventually.TrueAsync(() => _log.Contains(LogLevel.Error, $"Workload certificate serial {first.SerialNumber} expired at"), Bound), _log.Dump());
        Assert.Equal("Expired", JsonDocument.Parse(manager.GetStatus().ToJson()).RootElement.GetProperty("state").GetString());

        // The CA comes back on the same address with the same root: a new certificate, ready again.
        await using var again = await NodeCa.StartAsync(stateDir, "--port", port.ToString());
        Assert.True(await Eventually.TrueAsync(() => manager.State == CertificateState.Available, Bound), _log.Dump());
        Assert.NotEqual(first.SerialNumber, manager.Current!.SerialNumber);
    }

    [Fact]
    public async Task Start_TokenFileMissing_ClearErrorAndNotReady()
    {
        await using var ca = await NodeCa.StartAsync(_dir.File("ca"));
        var missing = _dir.File("missing-token");
        await using var manager = CaSetup.Manager(ca.Address, ca.RootPath, missing, Waypoint, TimeSpan.FromMinutes(10), _log);
        manager.Start();

        Assert.True(await Eventually.TrueAsync(() => _log.Contains(LogLevel.Error, $"token file '{missing}' does not exist"), Bound), _log.Dump());
        Assert.False(manager.IsReady);
        Assert.Empty(ca.Signed);
    }

    [Fact]
    public async Task Renewal_AtHalfLife_NewCertificatePublished_StatusAndMetricsFollow()
    {
        await using var ca = await NodeCa.StartAsync(_dir.File("ca"));
        await using var manager = CaSetup.Manager(ca.Address, ca.RootPath, _token, Waypoint, TimeSpan.FromSeconds(4), _log);
        var rotated = new List<string>();
        manager.Rotated += c => { lock (rotated) { rotated.Add(c.SerialNumber); } };
        manager.Start();
        using (var timeout = new CancellationTokenSource(Bound))
        {
            await manager.WaitUntilAvailableAsync(timeout.Token);
        }

        var first = manager.Current!;
        var status = manager.GetStatus();
        Assert.Equal(CertificateState.Available, status.State);
        Assert.Equal(first.NotAfter, manager.Expiry);
        // Half life ± 2 % of a 4 s lifetime, measured from notBefore.
        var halfLife = first.NotBefore + TimeSpan.FromSeconds(2);
        Assert.InRange(status.NextRefresh!.Value, halfLife - TimeSpan.FromMilliseconds(300), halfLife + TimeSpan.FromMilliseconds(300));

        Assert.True(await Eventually.TrueAsync(() => manager.Rotations >= 2, Bound));
        var second = manager.Current!;
        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        // Renewed before the first one expired, i.e. no gap.
        Assert.True(second.NotBefore < first.NotAfter);
        lock (rotated)
        {
            Assert.Equal(first.SerialNumber, rotated[0]);
        }

        var (state, expiry) = ReadMetrics(manager);
        Assert.Equal(1, state);
        Assert.True(expiry >= first.NotAfter.ToUnixTimeSeconds());
    }

    private static (int State, double Expiry) ReadMetrics(CertificateManager manager)
    {
        int state = -1;
        double expiry = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, manager.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "meshway.mtls.certificate.state")
            {
                state = value;
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "meshway.mtls.certificate.expiry")
            {
                expiry = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return (state, expiry);
    }
}

/// <summary>Each bad CA answer at start: rejected with a log line, not ready, healed when the CA is.</summary>
public sealed class CertificateManagerFaultTests : IClassFixture<SharedCaFixture>, IDisposable
{
    private static readonly SpiffeId Waypoint = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly SharedCaFixture _fixture;
    private readonly TempDirectory _dir = new();
    private readonly ListLogger<CertificateManager> _log = new();
    private readonly string _token;

    public CertificateManagerFaultTests(SharedCaFixture fixture)
    {
        _fixture = fixture;
        _token = TestTokens.WriteFile(_dir.Path, "default", "waypoint");
    }

    public void Dispose()
    {
        _fixture.Ca.SetFault("none");
        _dir.Dispose();
    }

    [Theory]
    [InlineData("garbage", "element 0 of the CA's chain is not a PEM certificate")]
    [InlineData("one-element", "the CA returned a chain of one certificate")]
    [InlineData("wrong-identity", "the leaf certificate is for identity spiffe://cluster.local/ns/intruder-ns/sa/intruder, expected spiffe://cluster.local/ns/default/sa/waypoint")]
    [InlineData("expired", "expired at")]
    [InlineData("down", "UNAVAILABLE")]
    public async Task Start_CaAnswersBadly_RejectedWithLogLine_ThenHeals(string fault, string expected)
    {
        var ca = _fixture.Ca;
        ca.SetFault(fault);
        await using var manager = CaSetup.Manager(ca.Address, ca.RootPath, _token, Waypoint, TimeSpan.FromMinutes(10), _log);
        manager.Start();

        Assert.True(await Eventually.TrueAsync(() => _log.Contains(LogLevel.Error, expected), Bound), _log.Dump());
        Assert.Equal(CertificateState.Initializing, manager.State);
        Assert.Contains(expected, manager.LastError);

        ca.SetFault("none");
        using var timeout = new CancellationTokenSource(Bound);
        await manager.WaitUntilAvailableAsync(timeout.Token);
        Assert.Equal(Waypoint, manager.Current!.Identity);
    }

}
