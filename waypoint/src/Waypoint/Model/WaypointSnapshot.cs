using System.Collections.Frozen;

namespace Meshway.Waypoint.Model;

/// <summary>
/// Everything the waypoint data plane needs, built whole by <see cref="Gamma.WaypointTranslator"/> and
/// swapped atomically: the Service ports served (by VIP:port) and the workloads behind endpoint addresses.
/// </summary>
public sealed class WaypointSnapshot
{
    public WaypointSnapshot(FrozenDictionary<string, ServiceTarget> services, FrozenDictionary<string, WorkloadInfo> workloads)
    {
        Services = services;
        Workloads = workloads;
    }

    public static WaypointSnapshot Empty { get; } = new(
        FrozenDictionary<string, ServiceTarget>.Empty, FrozenDictionary<string, WorkloadInfo>.Empty);

    /// <summary>Served Service ports by "vip:port" ("[v6]:port" for IPv6).</summary>
    public FrozenDictionary<string, ServiceTarget> Services { get; }

    /// <summary>Pods by IP.</summary>
    public FrozenDictionary<string, WorkloadInfo> Workloads { get; }

    public ServiceTarget? FindService(string authority) => Services.GetValueOrDefault(authority);
}
