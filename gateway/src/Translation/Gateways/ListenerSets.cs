using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Translation.Status;

namespace Meshway.Translation.Gateways;

/// <summary>A ListenerSet whose parentRef names one of our Gateways, while translation works on it.</summary>
internal sealed class ListenerSetState
{
    public required ListenerSet Set { get; init; }

    public required GatewayState Gateway { get; init; }

    /// <summary>Accepted=False NotAllowed: the Gateway's allowedListeners does not select it (its listeners are not merged).</summary>
    public ConfigError? NotAllowed { get; init; }

    /// <summary>Its listeners, merged into the Gateway's list after the Gateway's own (when allowed).</summary>
    public List<ListenerState> Listeners { get; } = [];

    public string Namespace => Set.Namespace;

    public string Name => Set.Name;

    /// <summary>Attached: allowed, on an accepted Gateway, with at least one valid listener.</summary>
    public bool Accepted => NotAllowed is null && Gateway.AcceptError is null && Listeners.Exists(l => l.AcceptError is null && l.Conflict is null);
}

/// <summary>
/// ListenerSet (GEP-1713): the listeners of every ListenerSet that names a Gateway and that the Gateway's
/// spec.allowedListeners selects (None by default; Same, All or a namespace Selector) are merged after the
/// Gateway's own, in precedence order (oldest first, then namespace/name). Validation is the same as for the
/// Gateway's listeners, except that a listener conflicting with one earlier in the precedence order is the
/// one Conflicted (the earlier keeps serving). A set's listeners take routes only through parentRefs of kind
/// ListenerSet; certificates resolve in the set's namespace, with ReferenceGrants from kind ListenerSet.
/// </summary>
internal static class ListenerSets
{
    public const string Kind = "ListenerSet";

    // ListenerSet condition reasons (apis/v1/listenerset_types.go).
    public const string NotAllowed = "NotAllowed";
    public const string ParentNotAccepted = "ParentNotAccepted";
    public const string ListenersNotValid = "ListenersNotValid";

    public static bool RefersTo(ListenerSet set, Gateway gateway)
    {
        var parent = set.Spec.ParentRef;
        return parent is not null
            && (string.IsNullOrEmpty(parent.Group) || parent.Group == KubeKinds.GatewayGroup)
            && (string.IsNullOrEmpty(parent.Kind) || parent.Kind == "Gateway")
            && parent.Name == gateway.Name
            && (string.IsNullOrEmpty(parent.Namespace) ? set.Namespace : parent.Namespace) == gateway.Namespace;
    }

    /// <summary>Step 1 (before conflict detection): the sets of <paramref name="gateway"/> and their listeners.</summary>
    public static void Merge(GatewayState gateway, ResourceSet resources)
    {
        var sets = resources.ListenerSets
            .Where(s => RefersTo(s, gateway.Gateway))
            .OrderBy(s => s.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(s => s.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Name, StringComparer.Ordinal);
        foreach (var set in sets)
        {
            var state = new ListenerSetState { Set = set, Gateway = gateway, NotAllowed = Allowed(gateway.Gateway, set, resources) };
            gateway.ListenerSets.Add(state);
            if (state.NotAllowed is not null)
            {
                continue;
            }

            foreach (var spec in set.Spec.Listeners ?? [])
            {
                if (spec is null)
                {
                    continue;
                }

                var listener = GatewayTranslator.TranslateListener(gateway, spec, resources, set);
                ConflictWithEarlier(listener, gateway.Listeners);
                state.Listeners.Add(listener);
                gateway.Listeners.Add(listener);
            }
        }
    }

    /// <summary>Step 2: the ListenerSet's status (conditions, and its listeners when it is allowed).</summary>
    public static ObjectStatus Status(ListenerSetState state)
    {
        var generation = state.Set.Generation;
        (bool Ok, string Reason, string Message) verdict;
        var invalid = state.Listeners.Where(l => l.AcceptError is not null || l.Conflict is not null).ToList();
        if (state.NotAllowed is { } notAllowed)
        {
            verdict = (false, NotAllowed, notAllowed.Message);
        }
        else if (state.Gateway.AcceptError is { } parentError)
        {
            verdict = (false, ParentNotAccepted, $"Gateway {state.Gateway.Namespace}/{state.Gateway.Name} is not accepted: {parentError.Message}");
        }
        else if (state.Listeners.Count == 0 || invalid.Count == state.Listeners.Count)
        {
            verdict = (false, ListenersNotValid, "no listener is valid" + Describe(invalid));
        }
        else if (invalid.Count > 0)
        {
            verdict = (true, ListenersNotValid, "some listeners are not valid" + Describe(invalid));
        }
        else
        {
            verdict = (true, Reasons.Accepted, $"attached to Gateway {state.Gateway.Namespace}/{state.Gateway.Name}");
        }

        var programmed = state.Listeners.Exists(l => l.Programmed);
        var conditions = new List<Condition>
        {
            new(Reasons.Accepted, verdict.Ok, verdict.Reason, verdict.Message),
            programmed && verdict.Ok
                ? new Condition(Reasons.Programmed, true, Reasons.Programmed, $"{state.Listeners.Count(l => l.Programmed)} of {state.Listeners.Count} listeners programmed")
                : new Condition(Reasons.Programmed, false, verdict.Ok ? Reasons.Invalid : verdict.Reason, verdict.Ok ? "no listener can be served" : verdict.Message),
        };
        var status = new JsonObject { ["conditions"] = Condition.ToJson(conditions, generation) };
        if (state.NotAllowed is null)
        {
            var listeners = new JsonArray();
            foreach (var listener in state.Listeners)
            {
                var json = StatusWriter.Listener(listener, generation);
                json["port"] = listener.Port;
                listeners.Add(json);
            }

            status["listeners"] = listeners;
        }

        return new ObjectStatus(state.Set.ApiVersion, state.Set.Kind, state.Namespace, state.Name, generation, status);
    }

    private static string Describe(List<ListenerState> invalid) =>
        invalid.Count == 0 ? "" : ": " + string.Join("; ", invalid.Select(l => $"{l.Name}: {(l.AcceptError ?? l.Conflict)!.Message}"));

    private static ConfigError? Allowed(Gateway gateway, ListenerSet set, ResourceSet resources)
    {
        var namespaces = gateway.Spec.AllowedListeners?.Namespaces;
        var allowed = (namespaces?.From ?? "None") switch
        {
            "Same" => set.Namespace == gateway.Namespace,
            "All" => true,
            "Selector" => namespaces?.Selector is { } selector
                && AllowedRoutesPolicy.Matches(selector, AllowedRoutesPolicy.LabelsOf(set.Namespace, resources)),
            _ => false,
        };
        return allowed
            ? null
            : new ConfigError(NotAllowed,
                $"Gateway {gateway.Namespace}/{gateway.Name} does not allow ListenerSets from namespace {set.Namespace} (spec.allowedListeners.namespaces.from: {namespaces?.From ?? "None"})");
    }

    /// <summary>A set listener on a port an earlier listener uses with another protocol, or with the same hostname, is the one Conflicted.</summary>
    private static void ConflictWithEarlier(ListenerState listener, List<ListenerState> earlier)
    {
        if (listener.AcceptError is not null)
        {
            return;
        }

        foreach (var other in earlier)
        {
            if (other.AcceptError is not null || other.Conflict is not null || other.Port != listener.Port)
            {
                continue;
            }

            if (other.Protocol != listener.Protocol)
            {
                listener.Conflict = new ConfigError(Reasons.ProtocolConflict,
                    $"port {listener.Port} is already used by listener {other.Name} with another protocol");
                return;
            }

            if ((other.Hostname ?? "") == (listener.Hostname ?? ""))
            {
                listener.Conflict = new ConfigError(Reasons.HostnameConflict,
                    $"listener {other.Name} already serves port {listener.Port} hostname \"{listener.Hostname ?? ""}\"");
                return;
            }
        }
    }
}
