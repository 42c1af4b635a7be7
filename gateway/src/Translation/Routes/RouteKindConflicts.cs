using Meshway.Translation.Gateways;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// The GRPCRoute spec's cross-type rule: when an HTTPRoute and a GRPCRoute attach to the same listener and
/// their hostnames intersect, exactly one of them is accepted there, the oldest (creationTimestamp), then the
/// first by "{namespace}/{name}". The other is taken off that listener; a parentRef left with no listener
/// gets Accepted=False. The spec names no reason for it; we use NotAllowedByListeners (the listener refuses
/// the route) with a message naming the route that keeps the hostname.
/// </summary>
internal static class RouteKindConflicts
{
    public static void Resolve(List<GatewayState> gateways, List<(CompiledRoute Route, List<ParentResult> Parents)> routeResults)
    {
        // 1. Per listener, in precedence order, keep a route unless an already kept route of the other kind
        //    shares a hostname with it.
        var rejected = new Dictionary<(CompiledRoute, ListenerState), string>();
        foreach (var listener in gateways.SelectMany(g => g.Listeners))
        {
            if (listener.Routes.Count < 2 || listener.Routes.Select(r => r.Route.Kind).Distinct().Count() < 2)
            {
                continue;
            }

            var kept = new List<AttachedRoute>();
            foreach (var attached in listener.Routes
                .OrderBy(a => a.Route.Created)
                .ThenBy(a => a.Route.Route.Namespace + "/" + a.Route.Route.Name, StringComparer.Ordinal))
            {
                var winner = kept.Find(k => k.Route.Kind != attached.Route.Kind && Intersects(k, attached));
                if (winner is null)
                {
                    kept.Add(attached);
                    continue;
                }

                rejected[(attached.Route, listener)] =
                    $"listener {listener.Name} of Gateway {listener.Gateway.Namespace}/{listener.Gateway.Name} already serves an intersecting hostname "
                    + $"with {winner.Route.Kind} {winner.Route.Route.Namespace}/{winner.Route.Route.Name}, which is older or first by name";
            }

            listener.Routes.RemoveAll(a => rejected.ContainsKey((a.Route, listener)));
        }

        RejectedAttachments.Report(rejected, routeResults);
    }

    private static bool Intersects(AttachedRoute a, AttachedRoute b)
    {
        foreach (var x in a.Hostnames)
        {
            foreach (var y in b.Hostnames)
            {
                if (HostnameMatch.IntersectOne(x.Hostname, y.Hostname) is not null)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
