using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Meshway.Kubernetes.Client;

public sealed record LeaderElectionOptions
{
    /// <summary>How long others wait, after the holder's last renewal they observed, before taking over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A leader that could not renew for this long stops acting as leader (before others may take over).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
/// - the holder renews spec.renewTime every retry period with a conditional PUT (resourceVersion);
/// - a candidate takes over only after it has seen the same lease version unchanged for leaseDuration,
///   measured on its own clock (so clock skew between machines does not matter);
/// - races are settled by the API server's optimistic concurrency: the loser gets 409;
/// - a leader that cannot renew within renewDeadline steps down; on shutdown it releases the lease so a
///   successor does not have to wait.
/// </summary>
public sealed partial class LeaderElector : IAsyncDisposable
{
    private readonly KubeApiClient _client;
    private readonly string _namespace;
    private readonly string _name;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private string? _observedVersion;
    private DateTime _observedAt;
    private DateTime _lastRenew;
    private volatile bool _isLeader;

    public LeaderElector(KubeApiClient client, string @namespace, string name, string identity, LeaderElectionOptions options, ILogger logger)
    {
        _client = client;
        _namespace = @namespace;
        _name = name;
        Identity = identity;
        _options = options;
        _logger = logger;
    }

    public string Identity { get; }

    public bool IsLeader => _isLeader;

    /// <summary>Raised (on the election loop) with true when this instance becomes leader, false when it stops being it.</summary>
    public event Action<bool>? LeadershipChanged;

    public void Start(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        if (_isLeader)
        {
            await ReleaseAsync();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            bool leader;
            try
            {
                leader = await TryAcquireOrRenewAsync(cancellationToken);
                if (leader)
                {
                    _lastRenew = DateTime.UtcNow;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException ex)
            {
                LogRenewFailed(_logger, _namespace, _name, ex.Message);
                // Keep leading through short API hiccups, but never past the renew deadline.
                leader = _isLeader && DateTime.UtcNow - _lastRenew < _options.RenewDeadline;
            }

            SetLeader(leader);
            try
            {
                await Task.Delay(_options.RetryPeriod, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void SetLeader(bool leader)
    {
        if (leader == _isLeader)
        {
            return;
        }

        _isLeader = leader;
        if (leader)
        {
            LogBecameLeader(_logger, Identity, _namespace, _name);
        }
        else
        {
            LogLostLeadership(_logger, Identity, _namespace, _name);
        }

        LeadershipChanged?.Invoke(leader);
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var lease = await _client.GetAsync(ResourceKind.Leases, _namespace, _name, cancellationToken);
        if (lease is null)
        {
            var fresh = new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = _name, ["namespace"] = _namespace },
                ["spec"] = new JsonObject
                {
                    ["holderIdentity"] = Identity,
                    ["leaseDurationSeconds"] = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
                    ["acquireTime"] = MicroTime(now),
                    ["renewTime"] = MicroTime(now),
                    ["leaseTransitions"] = 0,
                },
            };
            try
            {
                var created = await _client.CreateAsync(ResourceKind.Leases, _namespace, fresh, cancellationToken);
                Observe(created, now);
                return true;
            }
            catch (KubeApiException ex) when (ex.IsConflict)
            {
                return false; // another candidate created it first
            }
        }

        var version = lease["metadata"]?["resourceVersion"]?.GetValue<string>();
        if (version != _observedVersion)
        {
            _observedVersion = version;
            _observedAt = now;
        }

        var spec = lease["spec"] as JsonObject ?? new JsonObject();
        lease["spec"] = spec;
        var holder = spec["holderIdentity"]?.GetValue<string>() ?? "";
        var duration = spec["leaseDurationSeconds"] is { } d ? TimeSpan.FromSeconds(d.GetValue<int>()) : _options.LeaseDuration;
        if (holder.Length > 0 && holder != Identity && now - _observedAt < duration)
        {
            return false; // held, and renewed recently enough as far as we can tell
        }

        if (holder != Identity)
        {
            spec["acquireTime"] = MicroTime(now);
            spec["leaseTransitions"] = (spec["leaseTransitions"]?.GetValue<int>() ?? 0) + 1;
            spec["holderIdentity"] = Identity;
        }

        spec["renewTime"] = MicroTime(now);
        spec["leaseDurationSeconds"] = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds);
        try
        {
            var updated = await _client.ReplaceAsync(ResourceKind.Leases, _namespace, _name, lease, cancellationToken);
            Observe(updated, now);
            return true;
        }
        catch (KubeApiException ex) when (ex.IsConflict)
        {
            return false; // someone renewed or took it in between
        }
    }

    private void Observe(JsonObject lease, DateTime now)
    {
        _observedVersion = lease["metadata"]?["resourceVersion"]?.GetValue<string>();
        _observedAt = now;
    }

    /// <summary>Gives the lease up (empty holder) so the next candidate need not wait for it to expire.</summary>
    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var lease = await _client.GetAsync(ResourceKind.Leases, _namespace, _name, timeout.Token);
            if (lease?["spec"] is JsonObject spec && spec["holderIdentity"]?.GetValue<string>() == Identity)
            {
                spec["holderIdentity"] = "";
                spec["leaseDurationSeconds"] = 1;
                await _client.ReplaceAsync(ResourceKind.Leases, _namespace, _name, lease, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is KubeApiException or OperationCanceledException)
        {
            LogRenewFailed(_logger, _namespace, _name, "release: " + ex.Message);
        }

        _isLeader = false;
    }

    private static string MicroTime(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "{Identity} is now the leader (Lease {Namespace}/{Name})")]
    private static partial void LogBecameLeader(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "{Identity} is no longer the leader (Lease {Namespace}/{Name})")]
    private static partial void LogLostLeadership(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(EventId = 422, Level = LogLevel.Warning, Message = "Lease {Namespace}/{Name}: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string @namespace, string name, string reason);
}
