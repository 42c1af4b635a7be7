using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Net;

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

    /// <summary>Workload targets built on first use (the client picks the port); bounded so no client can grow it without end.</summary>
    private const int MaxCachedWorkloadTargets = 4096;

    private readonly ConcurrentDictionary<string, ServiceTarget> _workloadTargets = new(StringComparer.Ordinal);

    /// <summary>
    /// The target for a CONNECT to "podIP:port" of a workload bound to <paramref name="waypoint"/> (with
    /// waypoint-for workload or all), or null. Built once per snapshot and port, then reused.
    /// </summary>
    public ServiceTarget? FindWorkload(string authority, string waypoint)
    {
        if (_workloadTargets.TryGetValue(authority, out var cached))
        {
            return cached.Waypoint == waypoint ? cached : null;
        }

        var colon = authority.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return null;
        }

        var address = authority[..colon].Trim('[', ']');
        if (!IPAddress.TryParse(address, out _)
            || !Workloads.TryGetValue(address, out var workload)
            || workload.Waypoint != waypoint)
        {
            return null;
        }

        var target = ServiceTarget.ForWorkload(workload, address, port);
        if (_workloadTargets.Count < MaxCachedWorkloadTargets)
        {
            target = _workloadTargets.GetOrAdd(authority, target);
        }

        return target;
    }
}
