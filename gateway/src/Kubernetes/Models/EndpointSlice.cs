namespace Meshway.Kubernetes.Models;

/// <summary>discovery.k8s.io/v1 EndpointSlice.</summary>
public sealed class EndpointSlice : KubeObject
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public string? AddressType { get; set; }

    public List<Endpoint>? Endpoints { get; set; }

    public List<EndpointPort>? Ports { get; set; }
}

public sealed class Endpoint
{
    public List<string>? Addresses { get; set; }

    public EndpointConditions? Conditions { get; set; }

    public string? NodeName { get; set; }

    public ObjectReference? TargetRef { get; set; }
}

public sealed class EndpointConditions
{
    public bool? Ready { get; set; }

    public bool? Serving { get; set; }

    public bool? Terminating { get; set; }
}

public sealed class EndpointPort
{
    public string? Name { get; set; }

    public int? Port { get; set; }

    public string? Protocol { get; set; }

    public string? AppProtocol { get; set; }
}
