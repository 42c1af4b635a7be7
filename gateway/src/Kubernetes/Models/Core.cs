namespace Meshway.Kubernetes.Models;

/// <summary>v1 Namespace (cluster-scoped): its labels feed allowedRoutes selectors.</summary>
public sealed class KubeNamespace : KubeObject
{
    public override bool IsNamespaced => false;
}

/// <summary>v1 Secret. TLS secrets (type kubernetes.io/tls) carry tls.crt and tls.key.</summary>
public sealed class Secret : KubeObject
{
    public const string TlsType = "kubernetes.io/tls";

    public string? Type { get; set; }

    /// <summary>Values base64-encoded, as the API serves them.</summary>
    public Dictionary<string, string>? Data { get; set; }

    /// <summary>Plain-text values (write-only in a cluster; common in hand-written files).</summary>
    public Dictionary<string, string>? StringData { get; set; }
}

/// <summary>v1 Service.</summary>
public sealed class Service : KubeObject
{
    public ServiceSpec Spec { get; set => field = value ?? new(); } = new();
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
