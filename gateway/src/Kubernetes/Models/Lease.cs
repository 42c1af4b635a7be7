namespace Meshway.Kubernetes.Models;

/// <summary>coordination.k8s.io/v1 Lease: who leads, since when, renewed when.</summary>
public sealed class Lease : KubeObject
{
    public LeaseSpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class LeaseSpec
{
    public string? HolderIdentity { get; set; }

    public int? LeaseDurationSeconds { get; set; }

    /// <summary>MicroTime (RFC 3339 with microseconds).</summary>
    public DateTimeOffset? AcquireTime { get; set; }

    public DateTimeOffset? RenewTime { get; set; }

    public int? LeaseTransitions { get; set; }
}
