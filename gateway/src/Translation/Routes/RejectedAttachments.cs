using Meshway.Translation.Gateways;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// After a conflict rule has taken routes off listeners, their parentRefs must say so: a parentRef keeps the
/// listeners it still holds, and one left with none is Accepted=False (NotAllowedByListeners) with every reason.
/// Shared by the cross-kind hostname rule and the TLS/TCP route rule so both report the same way.
/// </summary>
internal static class RejectedAttachments
{
    public static void Report(
        Dictionary<(CompiledRoute Route, ListenerState Listener), string> rejected,
        List<(CompiledRoute Route, List<ParentResult> Parents)> routeResults)
    {
        if (rejected.Count == 0)
        {
            return;
        }

        foreach (var (route, parents) in routeResults)
        {
            for (var i = 0; i < parents.Count; i++)
            {
                var parent = parents[i];
                if (parent.Error is not null || !parent.Listeners.Any(l => rejected.ContainsKey((route, l.Listener))))
                {
                    continue;
                }

                var left = parent.Listeners.Where(l => !rejected.ContainsKey((route, l.Listener))).ToList();
                parents[i] = left.Count > 0
                    ? parent with { Listeners = left }
                    : parent with
                    {
                        Listeners = [],
                        Error = new ConfigError(Reasons.NotAllowedByListeners,
                            string.Join("; ", parent.Listeners.Select(l => rejected[(route, l.Listener)]))),
                    };
            }
        }
    }
}
