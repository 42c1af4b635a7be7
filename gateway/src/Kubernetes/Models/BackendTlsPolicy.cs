namespace Meshway.Kubernetes.Models;

/// <summary>gateway.networking.k8s.io/v1 BackendTLSPolicy: how the gateway originates TLS to a Service.</summary>
public sealed class BackendTlsPolicy : KubeObject
{
    public BackendTlsPolicySpec Spec { get; set => field = value ?? new(); } = new();
}

public sealed class BackendTlsPolicySpec
{
    public List<PolicyTargetReference>? TargetRefs { get; set; }

    public BackendTlsValidation? Validation { get; set; }

    public Dictionary<string, string>? Options { get; set; }
}

/// <summary>A LocalPolicyTargetReferenceWithSectionName (same namespace as the policy).</summary>
public sealed class PolicyTargetReference
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    /// <summary>For a Service: the port name the policy applies to; absent = every port.</summary>
    public string? SectionName { get; set; }
}

public sealed class BackendTlsValidation
{
    /// <summary>ConfigMaps (key ca.crt) with PEM CA certificates; exclusive with <see cref="WellKnownCaCertificates"/>.</summary>
    public List<ObjectReference>? CaCertificateRefs { get; set; }

    /// <summary>"System": the platform's trusted roots.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("wellKnownCACertificates")]
    public string? WellKnownCaCertificates { get; set; }

    /// <summary>SNI sent to the backend, and the name its certificate must carry when no subjectAltNames are given.</summary>
    public string? Hostname { get; set; }

    public List<SubjectAltName>? SubjectAltNames { get; set; }
}

public sealed class SubjectAltName
{
    /// <summary>Hostname or URI.</summary>
    public string? Type { get; set; }

    public string? Hostname { get; set; }

    public string? Uri { get; set; }
}
