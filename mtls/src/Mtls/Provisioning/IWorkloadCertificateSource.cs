using Meshway.Mtls.Certificates;

namespace Meshway.Mtls.Provisioning;

/// <summary>
/// Where workload certificates come from: a CA (Istio or the dev CA) or a directory of files.
/// The certificate manager owns timing (renewal, backoff); a source only fetches.
/// </summary>
public interface IWorkloadCertificateSource
{
    /// <summary>For log lines: which CA or directory.</summary>
    string Description { get; }

    /// <summary>
    /// How often to ask again while the certificate is fine. Null means "renew by lifetime" (CA
    /// sources); a file source polls its files instead.
    /// </summary>
    TimeSpan? PollInterval { get; }

    /// <summary>Returns a validated certificate; may return <paramref name="current"/> when nothing changed.</summary>
    /// <exception cref="CertificateProvisioningException">No usable certificate could be obtained.</exception>
    Task<WorkloadCertificate> FetchAsync(WorkloadCertificate? current, CancellationToken cancellationToken);
}
