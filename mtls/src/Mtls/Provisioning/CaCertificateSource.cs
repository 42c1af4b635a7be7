using Meshway.Mtls.CaClient;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Provisioning;

/// <summary>
/// New key + CSR, one CA round trip, full validation of the answer. Used with the Istio CA and
/// with the dev CA alike.
/// </summary>
public sealed class CaCertificateSource : IWorkloadCertificateSource
{
    /// <summary>Istio's requested SECRET_TTL.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromHours(24);

    private readonly ICertificateAuthorityClient _ca;
    private readonly TimeProvider _time;

    public CaCertificateSource(ICertificateAuthorityClient ca, SpiffeId identity, TimeSpan? validity = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        if (identity.IsEmpty)
        {
            throw new ArgumentException("the workload identity must be known to request a certificate", nameof(identity));
        }

        _ca = ca;
        Identity = identity;
        Validity = validity ?? DefaultValidity;
        _time = time ?? TimeProvider.System;
    }

    public SpiffeId Identity { get; }

    public TimeSpan Validity { get; }

    public string Description => $"mesh CA {_ca.Description}";

    public TimeSpan? PollInterval => null;

    public async Task<WorkloadCertificate> FetchAsync(WorkloadCertificate? current, CancellationToken cancellationToken)
    {
        var csr = CertificateSigningRequest.Create(Identity);
        try
        {
            var chain = await _ca.CreateCertificateAsync(csr.Pem, Validity, cancellationToken).ConfigureAwait(false);
            // Ownership of the key moves into the certificate on success.
            return ChainValidator.Validate(chain, csr.Key, Identity, Identity.TrustDomain, _time.GetUtcNow());
        }
        catch
        {
            csr.Dispose();
            throw;
        }
    }
}
