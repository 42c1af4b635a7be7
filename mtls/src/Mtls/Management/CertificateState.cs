namespace Meshway.Mtls.Management;

/// <summary>Workload certificate state, as exposed on /status and as a metric (the numeric value).</summary>
public enum CertificateState
{
    /// <summary>No certificate yet: readiness must be false.</summary>
    Initializing = 0,

    /// <summary>A certificate inside its validity window is being served.</summary>
    Available = 1,

    /// <summary>The last certificate has expired and no new one could be obtained.</summary>
    Expired = 2,
}
