using System.Net;
using Meshway.Mtls.Identity;
using Meshway.Waypoint.Model;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// What the waypoint learned when it accepted one HBONE tunnel, attached to the connection that carries
/// the tunnel's bytes: the Service the :authority named, the client's SPIFFE ID from its certificate,
/// and the CONNECT headers ztunnel sends for logs, policy and traces.
/// </summary>
public sealed class HboneTunnelFeature
{
    public required ServiceTarget Target { get; init; }

    public required WaypointSnapshot Snapshot { get; init; }

    public required SpiffeId Peer { get; init; }

    /// <summary>The HBONE client's address (the source ztunnel or pod).</summary>
    public IPEndPoint? Remote { get; init; }

    public string? Forwarded { get; init; }

    public string? Baggage { get; init; }

    public string? TraceParent { get; init; }
}
