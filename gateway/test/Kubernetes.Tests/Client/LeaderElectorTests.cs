using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Tests.ApiServer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Kubernetes.Tests.Client;

public sealed class LeaderElectorTests : IAsyncLifetime
{
    private static readonly LeaderElectionOptions Fast = new()
    {
        LeaseDuration = TimeSpan.FromSeconds(1),
        RenewDeadline = TimeSpan.FromMilliseconds(700),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
    };

    private TestApiServer _server = null!;
    private KubeApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _client = new KubeApiClient(new KubeClientConfig { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>
    /// For the test that needs a leader to keep renewing while other test assemblies load the machine: a
    /// 700 ms renew deadline can be missed under load, and a step-down there is slowness, not a bug.
    /// </summary>
    private static readonly LeaderElectionOptions Steady = new()
    {
        LeaseDuration = TimeSpan.FromSeconds(4),
        RenewDeadline = TimeSpan.FromSeconds(3),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
    };

    private LeaderElector Elector(string identity, LeaderElectionOptions? options = null) =>
        new(_client, "meshway-system", "meshway-controller", identity, options ?? Fast, NullLogger.Instance);

    private string? Holder() =>
        _server.Get("coordination.k8s.io/v1", "Lease", "meshway-system", "meshway-controller")?["spec"]?["holderIdentity"]?.GetValue<string>();

    [Fact]
    public async Task TwoCandidates_ExactlyOneLeads_AndTheOtherTakesOverWhenItStops()
    {
        var a = Elector("a", Steady);
        await using var b = Elector("b", Steady);
        a.Start(CancellationToken.None);
        await Wait.UntilAsync(() => a.IsLeader, "a leads");
        b.Start(CancellationToken.None);

        // b keeps trying for several lease periods' worth of retries and never leads while a renews.
        await Task.Delay(1500);
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);
        Assert.Equal("a", Holder());

        await a.DisposeAsync(); // releases the lease
        await Wait.UntilAsync(() => b.IsLeader, "b takes over");
        Assert.Equal("b", Holder());
        Assert.Equal(1, _server.Get("coordination.k8s.io/v1", "Lease", "meshway-system", "meshway-controller")!["spec"]!["leaseTransitions"]!.GetValue<int>());
    }

    [Fact]
    public async Task HolderThatStoppedRenewing_IsReplacedOnlyAfterTheLeaseDuration()
    {
        // A holder that crashed: its lease exists but nobody renews it.
        _server.Apply("""
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"meshway-controller","namespace":"meshway-system"},
             "spec":{"holderIdentity":"crashed","leaseDurationSeconds":1,"renewTime":"2026-01-01T00:00:00.000000Z","leaseTransitions":3}}
            """);
        await using var candidate = Elector("new");
        var started = DateTime.UtcNow;
        candidate.Start(CancellationToken.None);

        await Wait.UntilAsync(() => candidate.IsLeader, "takeover");

        // The candidate cannot trust the holder's clock, so it waits a full lease duration on its own clock.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "took over too early");
        Assert.Equal("new", Holder());
        Assert.Equal(4, _server.Get("coordination.k8s.io/v1", "Lease", "meshway-system", "meshway-controller")!["spec"]!["leaseTransitions"]!.GetValue<int>());
    }

    [Fact]
    public async Task Leader_ThatCannotRenew_StepsDownAfterTheRenewDeadline()
    {
        await using var elector = Elector("solo");
        var changes = new List<bool>();
        elector.LeadershipChanged += changes.Add;
        elector.Start(CancellationToken.None);
        await Wait.UntilAsync(() => elector.IsLeader, "leads");

        _server.Unavailable = true;
        await Wait.UntilAsync(() => !elector.IsLeader, "steps down", 5000);
        _server.Unavailable = false;
        await Wait.UntilAsync(() => elector.IsLeader, "leads again");

        Assert.Equal([true, false, true], changes);
    }
}
