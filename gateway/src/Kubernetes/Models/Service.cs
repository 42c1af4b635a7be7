namespace Meshway.Kubernetes.Models;

/// <summary>v1 Service.</summary>
public sealed class Service : KubeObject
{
    public ServiceSpec Spec { get; set => field = value ?? new(); } = new();

    /// <summary>Set by the cluster (load balancer addresses); absent in hand-written files.</summary>
    public ServiceStatus? Status { get; set; }
}

public sealed class ServiceStatus
{
    public LoadBalancerStatus? LoadBalancer { get; set; }
}

public sealed class LoadBalancerStatus
{
    public List<LoadBalancerIngress>? Ingress { get; set; }
}

public sealed class LoadBalancerIngress
{
    public string? Ip { get; set; }

    public string? Hostname { get; set; }
}

public sealed class ServiceSpec
{
    public string? Type { get; set; }

    public string? ClusterIP { get; set; }

    public List<ServicePort>? Ports { get; set; }

    public Dictionary<string, string>? Selector { get; set; }
}

public sealed class ServicePort
{
    public string? Name { get; set; }

    public int Port { get; set; }

    public IntOrString? TargetPort { get; set; }

    public string? Protocol { get; set; }

    public string? AppProtocol { get; set; }
}
