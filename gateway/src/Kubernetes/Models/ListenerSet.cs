namespace Meshway.Kubernetes.Models;

/// <summary>
/// gateway.networking.k8s.io/v1 ListenerSet (GEP-1713): listeners added to a parent Gateway that allows
/// them (Gateway spec.allowedListeners); routes attach with a parentRef of kind ListenerSet.
/// </summary>
public sealed class ListenerSet : KubeObject
{
    public ListenerSetSpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class ListenerSetSpec
{
    public ParentGatewayReference? ParentRef { get; set; }

    /// <summary>Same shape as Gateway listeners; names are unique within the set only.</summary>
    public List<GatewayListener>? Listeners { get; set; }
}

public sealed class ParentGatewayReference
{
    /// <summary>gateway.networking.k8s.io when unset.</summary>
    public string? Group { get; set; }

    /// <summary>Gateway when unset.</summary>
    public string? Kind { get; set; }

    public string? Name { get; set; }

    /// <summary>The ListenerSet's own namespace when unset.</summary>
    public string? Namespace { get; set; }
}

/// <summary>Gateway spec.allowedListeners: which ListenerSets may attach (none by default).</summary>
public sealed class AllowedListeners
{
    public ListenerNamespaces? Namespaces { get; set; }
}

public sealed class ListenerNamespaces
{
    /// <summary>None (the default), Same, Selector or All.</summary>
    public string? From { get; set; }

    public LabelSelector? Selector { get; set; }
}
