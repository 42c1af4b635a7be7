using Meshway.Mtls.Identity;

namespace Meshway.Waypoint.Model;

/// <summary>What the waypoint knows about the pod behind an endpoint address: its identity and whether it is in ambient mode.</summary>
public sealed record WorkloadInfo(string Namespace, string Name, SpiffeId Identity, bool Ambient);
