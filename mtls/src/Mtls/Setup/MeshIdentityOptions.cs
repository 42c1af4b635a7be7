using Meshway.Mtls.CaClient;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Setup;

/// <summary>Where the workload certificate comes from.</summary>
public enum MeshCertificateMode
{
    /// <summary>istiod (or any Istio-compatible CA) over gRPC: the in-cluster default.</summary>
    IstioCa,

    /// <summary><c>--mesh-ca dev</c>: an in-process CA, for standalone runs and tests.</summary>
    DevCa,

    /// <summary><c>--mesh-cert-dir DIR</c>: Istio-named files written by someone else.</summary>
    CertDirectory,
}

/// <summary>Everything needed to build a workload identity, as the executable's flags give it.</summary>
public sealed class MeshIdentityOptions
{
    public MeshCertificateMode Mode { get; init; } = MeshCertificateMode.IstioCa;

    public string TrustDomain { get; init; } = SpiffeId.DefaultTrustDomain;

    /// <summary>
    /// Our identity. When empty: IstioCa takes it from the token's subject, else from the
    /// POD_NAMESPACE / SERVICE_ACCOUNT environment (as Istio injects them); DevCa uses
    /// <c>ns/default/sa/meshway</c>; CertDirectory accepts whatever the files carry.
    /// </summary>
    public SpiffeId Identity { get; init; }

    /// <summary>IstioCa: host:port; null means CA_ADDR, else istiod.istio-system.svc:15012.</summary>
    public string? CaAddress { get; init; }

    /// <summary>IstioCa: the mesh root (ConfigMap istio-ca-root-cert mounted), re-read when it changes.</summary>
    public string RootFile { get; init; } = TrustBundleSource.DefaultRootPath;

    public string TokenFile { get; init; } = ServiceAccountToken.DefaultPath;

    public string ClusterId { get; init; } = "Kubernetes";

    public TimeSpan Validity { get; init; } = CaCertificateSource.DefaultValidity;

    public TimeSpan CaTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>DevCa: where to write the dev root (so peers and curl can trust it); null to skip.</summary>
    public string? DevRootOutput { get; init; }

    /// <summary>CertDirectory: the folder with cert-chain.pem, key.pem, root-cert.pem.</summary>
    public string? CertDirectory { get; init; }

    /// <summary>How often root and cert files are checked for changes.</summary>
    public TimeSpan FilePollInterval { get; init; } = TimeSpan.FromSeconds(2);
}
