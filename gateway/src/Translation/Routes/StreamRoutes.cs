using Meshway.Routing.Hosts;
using Meshway.Routing.Model;
using Meshway.Translation.Gateways;

namespace Meshway.Translation.Routes;

/// <summary>
/// The routing model of a TLS or TCP listener from the routes that attached to it. TLS: each effective
/// hostname (listener/route intersection) maps to one route; when several routes claim the same name the
/// oldest wins (creationTimestamp, then namespace/name), the conflict rule the spec uses for every route kind.
/// The lookup by SNI then prefers an exact name over a wildcard, like HTTP hosts. TCP: the oldest route.
/// </summary>
internal static class StreamRoutes
{
    public static StreamListenerModel Build(ListenerState listener, StreamMode mode)
    {
        var ordered = listener.Routes
            .OrderBy(a => a.Route.Created)
            .ThenBy(a => a.Route.Route.Namespace + "/" + a.Route.Route.Name, StringComparer.Ordinal)
            .ToList();
        if (mode == StreamMode.Tcp)
        {
            var first = ordered.FirstOrDefault();
            return new StreamListenerModel(mode, HostnameTable<StreamRoute>.Empty, first is null ? null : ToStream(first));
        }

        var byHost = new Dictionary<string, StreamRoute>(StringComparer.OrdinalIgnoreCase);
        foreach (var attached in ordered)
        {
            var stream = ToStream(attached);
            foreach (var effective in attached.Hostnames)
            {
                byHost.TryAdd(effective.Hostname, stream);
            }
        }

        return new StreamListenerModel(mode, new HostnameTable<StreamRoute>(byHost));
    }

    private static StreamRoute ToStream(AttachedRoute attached)
    {
        var model = attached.Route.Rules[0].Model;
        return new StreamRoute(model.Route, model.Backends);
    }
}
