using Meshway.Mtls.CaClient;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>Wires a certificate manager to a Node CA the way the executable does for istiod.</summary>
public static class CaSetup
{
    public static readonly CertificateManagerOptions FastRetries = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    public static CertificateManager Manager(
        string address,
        string rootPath,
        string tokenPath,
        SpiffeId identity,
        TimeSpan validity,
        ListLogger<CertificateManager>? logger = null,
        CertificateManagerOptions? options = null)
    {
        var client = new IstioCaClient(new IstioCaClientOptions
        {
            Address = address,
            Trust = TrustBundleSource.FromFile(rootPath, TimeSpan.Zero),
            TokenPath = tokenPath,
            ClusterId = "test-cluster", // what SharedCaFixture's CA requires
            Timeout = TimeSpan.FromSeconds(5),
        });
        return new CertificateManager(new CaCertificateSource(client, identity, validity), options ?? FastRetries, logger);
    }
}
