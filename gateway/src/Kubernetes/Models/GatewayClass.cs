namespace Meshway.Kubernetes.Models;

/// <summary>gateway.networking.k8s.io/v1 GatewayClass (cluster-scoped).</summary>
public sealed class GatewayClass : KubeObject
{
    public GatewayClassSpec Spec { get; set => field = value ?? new(); } = new();

    public override bool IsNamespaced => false;
}

public sealed class GatewayClassSpec
{
    public string? ControllerName { get; set; }

    public ObjectReference? ParametersRef { get; set; }

    public string? Description { get; set; }
}
