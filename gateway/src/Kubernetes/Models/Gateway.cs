namespace Meshway.Kubernetes.Models;

/// <summary>gateway.networking.k8s.io/v1 Gateway.</summary>
public sealed class Gateway : KubeObject
{
    public GatewaySpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class GatewaySpec
{
    public string? GatewayClassName { get; set; }

    public List<GatewayListener>? Listeners { get; set; }

    public List<GatewayAddress>? Addresses { get; set; }

    public GatewayInfrastructure? Infrastructure { get; set; }

    /// <summary>Gateway-wide TLS: frontend client certificate validation, backend client certificate.</summary>
    public GatewayTlsSettings? Tls { get; set; }

    /// <summary>Which ListenerSets may add listeners to this Gateway (GEP-1713); none when unset.</summary>
    public AllowedListeners? AllowedListeners { get; set; }
}

/// <summary>Labels and annotations to put on what the implementation provisions for the Gateway.</summary>
public sealed class GatewayInfrastructure
{
    public Dictionary<string, string>? Labels { get; set; }

    public Dictionary<string, string>? Annotations { get; set; }

    public ObjectReference? ParametersRef { get; set; }
}

public sealed class GatewayAddress
{
    /// <summary>IPAddress (the default), Hostname or a domain-prefixed custom type.</summary>
    public string? Type { get; set; }

    public string? Value { get; set; }
}

public sealed class GatewayListener
{
    public string? Name { get; set; }

    public string? Hostname { get; set; }

    public int Port { get; set; }

    public string? Protocol { get; set; }

    public GatewayTlsConfig? Tls { get; set; }

    public AllowedRoutes? AllowedRoutes { get; set; }
}

public sealed class GatewayTlsConfig
{
    /// <summary>Terminate (the default) or Passthrough.</summary>
    public string? Mode { get; set; }

    public List<ObjectReference>? CertificateRefs { get; set; }

    public Dictionary<string, string>? Options { get; set; }
}

public sealed class AllowedRoutes
{
    public RouteNamespaces? Namespaces { get; set; }

    public List<RouteGroupKind>? Kinds { get; set; }
}

public sealed class RouteNamespaces
{
    /// <summary>Same (the default), All or Selector.</summary>
    public string? From { get; set; }

    public LabelSelector? Selector { get; set; }
}

public sealed class RouteGroupKind
{
    public string? Group { get; set; }

    public string? Kind { get; set; }
}
