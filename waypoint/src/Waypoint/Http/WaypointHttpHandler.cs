using Meshway.DataPlane.Pipeline;
using Meshway.Waypoint.Inbound;
using Microsoft.AspNetCore.Http;

namespace Meshway.Waypoint.Http;

/// <summary>
/// Serves one HTTP request that arrived inside an HBONE tunnel. The tunnel already named the Service (its
/// VIP:port) and the client (its SPIFFE ID), so the only waypoint-specific step is choosing the GAMMA route
/// table: the client namespace's consumer routes, else the producer routes (as a prebuilt PortBinding).
/// Everything after that is the shared <see cref="GatewayPipeline"/>, so every HTTPRoute filter of the
/// standalone gateway (redirects, header modifiers, rewrites, mirrors, timeouts, weights, gRPC local
/// replies) applies to mesh traffic alike, reaching endpoints through <see cref="Outbound.WaypointTransport"/>
/// (HBONE to ambient pods, plaintext otherwise).
/// </summary>
internal sealed class WaypointHttpHandler
{
    private readonly GatewayPipeline _pipeline;

    public WaypointHttpHandler(GatewayPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
    }

    public Task HandleAsync(HttpContext context)
    {
        var tunnel = context.Features.Get<HboneTunnelFeature>();
        if (tunnel is null)
        {
            // Only tunnels feed the inner server; anything else is a wiring bug, not a client error.
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        }

        return _pipeline.HandleAsync(context, tunnel.Target.BindingFor(tunnel.Peer.Namespace));
    }
}
