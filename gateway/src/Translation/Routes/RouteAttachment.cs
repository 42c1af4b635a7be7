using Meshway.Kubernetes.Models;
using Meshway.Translation.Gateways;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>The outcome of one parentRef: the listeners that took the route (with its hostnames there) or why none did.</summary>
internal sealed record ParentResult(
    ParentReference ParentRef,
    IReadOnlyList<(ListenerState Listener, IReadOnlyList<HostnameMatch.Effective> Hostnames)> Listeners,
    ConfigError? Error);

/// <summary>
/// Attaches a route to the listeners one parentRef selects, in the spec's order of checks:
/// sectionName/port narrow the listeners (none left: NoMatchingParent), the listener must allow the
/// route's kind and namespace (NotAllowedByListeners), and the hostnames must intersect
/// (NoMatchingListenerHostname).
/// </summary>
internal static class RouteAttachment
{
    public static ParentResult Attach(
        CompiledRoute route, ParentReference parentRef, GatewayState gateway, ResourceSet resources, ListenerSetState? set = null)
    {
        // A Gateway parent offers only its own listeners, a ListenerSet parent only the set's (GEP-1713).
        if (set?.NotAllowed is { } notAllowed)
        {
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NotAllowedByListeners,
                $"ListenerSet {set.Namespace}/{set.Name} is not attached: {notAllowed.Message}"));
        }

        // Plain loops, not LINQ: this runs once per route and parentRef on every change (thousands of times).
        var scope = set is null ? gateway.Listeners : set.Listeners;
        var candidates = new List<ListenerState>(scope.Count);
        foreach (var l in scope)
        {
            if ((set is not null || l.OwnerSet is null)
                && (string.IsNullOrEmpty(parentRef.SectionName) || l.Name == parentRef.SectionName)
                && (parentRef.Port is null || l.Port == parentRef.Port))
            {
                candidates.Add(l);
            }
        }

        if (candidates.Count == 0)
        {
            var what = (parentRef.SectionName, parentRef.Port) switch
            {
                (not null, not null) => $"listener \"{parentRef.SectionName}\" on port {parentRef.Port}",
                (not null, null) => $"listener \"{parentRef.SectionName}\"",
                (null, not null) => $"listener on port {parentRef.Port}",
                _ => "listener",
            };
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NoMatchingParent,
                $"Gateway {gateway.Namespace}/{gateway.Name} has no {what}"));
        }

        if (gateway.AcceptError is not null)
        {
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NoMatchingParent,
                $"Gateway {gateway.Namespace}/{gateway.Name} is not accepted: {gateway.AcceptError.Message}"));
        }

        var allowed = new List<ListenerState>(candidates.Count);
        var anyAcceptsKind = false;
        foreach (var l in candidates)
        {
            if (l.CanAttach && l.AllowsKind(route.Kind))
            {
                anyAcceptsKind = true;
                if (AllowedRoutesPolicy.AllowsNamespace(l, route.Route.Namespace, resources))
                {
                    allowed.Add(l);
                }
            }
        }

        if (!anyAcceptsKind)
        {
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NotAllowedByListeners,
                $"listener(s) {string.Join(", ", candidates.Select(l => l.Name))} of Gateway {gateway.Namespace}/{gateway.Name} do not accept {route.Kind}s"));
        }

        if (allowed.Count == 0)
        {
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NotAllowedByListeners,
                $"no listener of Gateway {gateway.Namespace}/{gateway.Name} allows {route.Kind}s from namespace {route.Route.Namespace}"));
        }

        var attached = new List<(ListenerState, IReadOnlyList<HostnameMatch.Effective>)>();
        foreach (var listener in allowed)
        {
            if (route.HasInvalidHostnamesOnly)
            {
                continue;
            }

            var hostnames = HostnameMatch.Intersect(listener.Hostname, route.Hostnames);
            if (hostnames.Count > 0)
            {
                attached.Add((listener, hostnames));
            }
        }

        if (attached.Count == 0)
        {
            return new ParentResult(parentRef, [], new ConfigError(Reasons.NoMatchingListenerHostname,
                $"no hostname of the route intersects the hostname of a listener of Gateway {gateway.Namespace}/{gateway.Name}"));
        }

        return new ParentResult(parentRef, attached, null);
    }
}
