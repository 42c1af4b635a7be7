using Meshway.Mtls.Identity;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.CaClient;

/// <summary>How to reach istiod's certificate service.</summary>
public sealed class IstioCaClientOptions
{
    /// <summary>Istio's default CA address (CA_ADDR).</summary>
    public const string DefaultAddress = "istiod.istio-system.svc:15012";

    /// <summary>Environment variable that overrides <see cref="DefaultAddress"/>, as in Istio.</summary>
    public const string AddressEnvironmentVariable = "CA_ADDR";

    /// <summary>host:port of the CA.</summary>
    public string Address { get; init; } = DefaultAddress;

    /// <summary>Roots that the CA's server certificate must chain to (the mesh root).</summary>
    public required TrustBundleSource Trust { get; init; }

    /// <summary>Projected service-account token file (audience istio-ca), re-read on every call.</summary>
    public string TokenPath { get; init; } = ServiceAccountToken.DefaultPath;

    /// <summary>Sent as the <c>clusterid</c> header; istiod uses it to pick the cluster for the TokenReview.</summary>
    public string ClusterId { get; init; } = "Kubernetes";

    /// <summary>Deadline of one call, sent as grpc-timeout and enforced locally.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Resolves the address from a flag value, else CA_ADDR, else the Istio default.</summary>
    public static string ResolveAddress(string? flag)
        => !string.IsNullOrWhiteSpace(flag) ? flag
        : Environment.GetEnvironmentVariable(AddressEnvironmentVariable) is { Length: > 0 } env ? env
        : DefaultAddress;
}
