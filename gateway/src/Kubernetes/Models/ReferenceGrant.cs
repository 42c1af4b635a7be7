namespace Meshway.Kubernetes.Models;

/// <summary>gateway.networking.k8s.io/v1beta1 (or v1) ReferenceGrant: lets objects of other namespaces refer into this one.</summary>
public sealed class ReferenceGrant : KubeObject
{
    public ReferenceGrantSpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class ReferenceGrantSpec
{
    public List<ReferenceGrantFrom>? From { get; set; }

    public List<ReferenceGrantTo>? To { get; set; }
}

public sealed class ReferenceGrantFrom
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Namespace { get; set; }
}

public sealed class ReferenceGrantTo
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    /// <summary>Absent: every object of that kind in the grant's namespace.</summary>
    public string? Name { get; set; }
}
