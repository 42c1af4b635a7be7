using Meshway.Mtls.Identity;

namespace Meshway.Waypoint.Model;

/// <summary>
/// What the waypoint knows about the pod behind an endpoint address: its identity, whether it is in ambient
/// mode, and ("namespace/name") the waypoint that takes traffic addressed to it, when that waypoint's
/// istio.io/waypoint-for is workload or all.
/// </summary>
public sealed record WorkloadInfo(string Namespace, string Name, SpiffeId Identity, bool Ambient, string? Waypoint = null);
