namespace Meshway.Kubernetes.Models;

/// <summary>
/// v1 Pod, only what the mesh needs: labels/annotations (ambient enrolment, waypoint pods), the service
/// account (the pod's SPIFFE identity) and its IPs (to tie EndpointSlice addresses back to a pod).
/// </summary>
public sealed class Pod : KubeObject
{
    public PodSpec Spec { get; set => field = value ?? new(); } = new();

    public PodStatus Status { get; set => field = value ?? new(); } = new();
}

public sealed class PodSpec
{
    /// <summary>Absent means "default", as the API server fills it in.</summary>
    public string? ServiceAccountName { get; set; }

    public string? NodeName { get; set; }
}

public sealed class PodStatus
{
    public string? PodIP { get; set; }

    public List<PodIP>? PodIPs { get; set; }

    public string? Phase { get; set; }
}

public sealed class PodIP
{
    public string? Ip { get; set; }
}
