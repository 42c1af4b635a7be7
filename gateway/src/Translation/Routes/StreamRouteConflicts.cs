using Meshway.Routing.Model;
using Meshway.Translation.Gateways;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// On a TLS listener each hostname serves one TLSRoute: the oldest (creationTimestamp, then namespace/name)
/// that claims it, the spec's conflict rule for every route kind. A route left without any hostname there is
/// taken off the listener; on a TCP listener every TCPRoute but the oldest is (a second catch-all could
/// never be reached). A parentRef left with no listener gets Accepted=False. The spec names no reason for
/// this; as for the HTTPRoute/GRPCRoute conflict, NotAllowedByListeners with a message naming the winner.
/// </summary>
internal static class StreamRouteConflicts
{
    public static void Resolve(List<GatewayState> gateways, List<(CompiledRoute Route, List<ParentResult> Parents)> routeResults)
    {
        var rejected = new Dictionary<(CompiledRoute, ListenerState), string>();
        foreach (var listener in gateways.SelectMany(g => g.Listeners))
        {
            if (listener.StreamMode is not { } mode || listener.Routes.Count < 2)
            {
                continue;
            }

            var owners = new Dictionary<string, CompiledRoute>(StringComparer.OrdinalIgnoreCase);
            CompiledRoute? tcpOwner = null;
            foreach (var attached in listener.Routes
                .OrderBy(a => a.Route.Created)
                .ThenBy(a => a.Route.Route.Namespace + "/" + a.Route.Route.Name, StringComparer.Ordinal))
            {
                CompiledRoute? winner = null;
                if (mode == StreamMode.Tcp)
                {
                    winner = tcpOwner;
                    tcpOwner ??= attached.Route;
                }
                else
                {
                    var won = false;
                    foreach (var effective in attached.Hostnames)
                    {
                        if (owners.TryAdd(effective.Hostname, attached.Route))
                        {
                            won = true;
                        }
                        else
                        {
                            winner ??= owners[effective.Hostname];
                        }
                    }

                    if (won)
                    {
                        winner = null;
                    }
                }

                if (winner is not null)
                {
                    rejected[(attached.Route, listener)] = mode == StreamMode.Tcp
                        ? $"listener {listener.Name} of Gateway {listener.Gateway.Namespace}/{listener.Gateway.Name} already routes every connection "
                            + $"to TCPRoute {winner.Route.Namespace}/{winner.Route.Name}, which is older or first by name"
                        : $"every hostname of this route on listener {listener.Name} of Gateway {listener.Gateway.Namespace}/{listener.Gateway.Name} "
                            + $"is already served by TLSRoute {winner.Route.Namespace}/{winner.Route.Name}, which is older or first by name";
                }
            }

            listener.Routes.RemoveAll(a => rejected.ContainsKey((a.Route, listener)));
        }

        RejectedAttachments.Report(rejected, routeResults);
    }
}
