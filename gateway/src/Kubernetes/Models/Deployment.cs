using System.Text.Json;

namespace Meshway.Kubernetes.Models;

/// <summary>apps/v1 Deployment: only what the controller compares when provisioning; the rest stays as JSON.</summary>
public sealed class Deployment : KubeObject
{
    public DeploymentSpec? Spec { get; set; }
}

public sealed class DeploymentSpec
{
    public int? Replicas { get; set; }

    public LabelSelector? Selector { get; set; }

    /// <summary>The pod template, kept as JSON: the controller builds it whole and compares it whole.</summary>
    public JsonElement? Template { get; set; }
}
