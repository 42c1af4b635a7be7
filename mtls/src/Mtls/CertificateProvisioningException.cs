namespace Meshway.Mtls;

/// <summary>
/// A workload certificate could not be obtained or was rejected. The message is written for an
/// operator: it names the file, address or check that failed. The certificate manager logs it and
/// retries; the identity command prints it and exits non-zero.
/// </summary>
public sealed class CertificateProvisioningException : Exception
{
    public CertificateProvisioningException(string message)
        : base(message)
    {
    }

    public CertificateProvisioningException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
