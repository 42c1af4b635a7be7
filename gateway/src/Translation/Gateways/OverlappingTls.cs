using Meshway.Routing.Model;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Gateways;

/// <summary>
/// GEP-3567: HTTPS listeners of one Gateway on one port whose hostnames overlap (one covers the other, e.g.
/// foo.example.com and *.example.com, or any hostname and a listener without one) get the negative-polarity
/// listener condition OverlappingTLSConfig=True/OverlappingHostnames. A client may reuse a connection set up
/// for one of them (SNI, certificate) for a Host of the other (HTTP/2 coalescing); the data plane answers
/// those requests 421 so the client opens a connection of its own, and this condition tells the user why.
/// </summary>
internal static class OverlappingTls
{
    public const string ConditionType = "OverlappingTLSConfig";
    public const string OverlappingHostnames = "OverlappingHostnames";

    public static void Detect(List<ListenerState> listeners)
    {
        var candidates = listeners
            .Where(l => l.Protocol == ListenerProtocol.Https && l.AcceptError is null && l.Conflict is null)
            .ToList();
        foreach (var listener in candidates)
        {
            var overlaps = candidates
                .Where(other => !ReferenceEquals(other, listener) && other.Port == listener.Port
                    && HostnameMatch.IntersectOne(listener.Hostname ?? "*", other.Hostname ?? "*") is not null)
                .Select(other => $"{other.Name} ({other.Hostname ?? "any hostname"})")
                .ToList();
            if (overlaps.Count > 0)
            {
                listener.OverlappingTls = new ConfigError(OverlappingHostnames,
                    $"hostname {listener.Hostname ?? "(any)"} overlaps listener(s) {string.Join(", ", overlaps)} on port {listener.Port}: "
                    + "a request reusing a connection set up for another listener is answered 421 (Misdirected Request)");
            }
        }
    }

    /// <summary>The condition for one listener, only when it holds (negative polarity: never written as False).</summary>
    public static IEnumerable<Condition> ListenerConditions(ListenerState listener)
    {
        if (listener.OverlappingTls is { } overlap)
        {
            yield return new Condition(ConditionType, true, overlap.Reason, overlap.Message);
        }
    }
}
