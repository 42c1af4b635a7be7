namespace Meshway.Mtls.CaClient;

/// <summary>
/// Seam between "get a CSR signed" and everything around it (keys, validation, rotation). The
/// Istio CA client and the in-process dev CA both implement it, so standalone and in-cluster
/// workloads run the same certificate code path.
/// </summary>
public interface ICertificateAuthorityClient
{
    /// <summary>Human-readable name of the CA for log lines (e.g. its address).</summary>
    string Description { get; }

    /// <summary>Sends one CSR; returns the PEM chain as received (leaf first, root last).</summary>
    /// <exception cref="CertificateProvisioningException">The CA could not be reached or refused.</exception>
    Task<IReadOnlyList<string>> CreateCertificateAsync(string csrPem, TimeSpan validity, CancellationToken cancellationToken);
}
