namespace Meshway.Mtls.Management;

/// <summary>Timing of renewal and retries.</summary>
public sealed class CertificateManagerOptions
{
    /// <summary>Renew at this fraction of the lifetime (Istio SECRET_GRACE_PERIOD_RATIO 0.5).</summary>
    public double RenewAtFraction { get; init; } = 0.5;

    /// <summary>± this fraction of the lifetime, so a fleet started together does not renew together.</summary>
    public double JitterFraction { get; init; } = 0.02;

    /// <summary>First retry delay after a failed fetch; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
