using System.Net.Security;
using Meshway.Mtls.CaClient;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tls;
using Meshway.Mtls.Trust;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Setup;

/// <summary>
/// The composition of the mtls parts for one process: a certificate source (Istio CA, dev CA or
/// files), the trust bundle, the certificate manager and the two TLS builders. The executable
/// builds one from its flags, calls <see cref="Start"/>, gates readiness on
/// <see cref="CertificateManager.IsReady"/> and shows <see cref="CertificateManager.GetStatus"/> on /status.
/// </summary>
public sealed class MeshIdentity : IAsyncDisposable
{
    private readonly List<IDisposable> _owned;
    private readonly ILoggerFactory? _loggers;

    private MeshIdentity(MeshIdentityOptions options, CertificateManager certificates, TrustBundleSource trust, List<IDisposable> owned, ILoggerFactory? loggers)
    {
        Options = options;
        Certificates = certificates;
        Trust = trust;
        _owned = owned;
        _loggers = loggers;
        Client = new MeshTlsClient(certificates, trust, loggers?.CreateLogger<MeshTlsClient>());
    }

    public MeshIdentityOptions Options { get; }

    public CertificateManager Certificates { get; }

    public TrustBundleSource Trust { get; }

    /// <summary>Outbound mesh TLS (HBONE, sidecar mTLS).</summary>
    public MeshTlsClient Client { get; }

    /// <summary>Inbound mesh TLS with the given ALPN list (h2 for HBONE).</summary>
    public MeshTlsServer CreateServer(IReadOnlyList<SslApplicationProtocol> applicationProtocols)
        => new(Certificates, Trust, Options.TrustDomain, applicationProtocols, _loggers?.CreateLogger<MeshTlsServer>());

    /// <summary>Builds the parts; nothing talks to the CA until <see cref="Start"/>.</summary>
    /// <exception cref="CertificateProvisioningException">A required file (root, cert dir) is missing or invalid, or the identity cannot be determined.</exception>
    public static MeshIdentity Create(MeshIdentityOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!SpiffeId.IsValidTrustDomain(options.TrustDomain))
        {
            throw new CertificateProvisioningException($"'{options.TrustDomain}' is not a valid trust domain");
        }

        var owned = new List<IDisposable>();
        IWorkloadCertificateSource source;
        TrustBundleSource trust;
        switch (options.Mode)
        {
            case MeshCertificateMode.DevCa:
            {
                var ca = new DevCertificateAuthority(options.TrustDomain);
                owned.Add(ca);
                if (options.DevRootOutput is { } rootOut)
                {
                    ca.WriteRoot(rootOut);
                }

                var id = options.Identity.IsEmpty ? SpiffeId.Create(options.TrustDomain, "default", "meshway") : options.Identity;
                source = new CaCertificateSource(ca, id, options.Validity);
                trust = ca.Trust;
                break;
            }

            case MeshCertificateMode.CertDirectory:
            {
                var dir = options.CertDirectory ?? throw new CertificateProvisioningException("--mesh-cert-dir needs a directory");
                var files = new FileCertificateSource(dir, options.Identity, options.FilePollInterval);
                owned.Add(files);
                source = files;
                trust = files.Trust;
                break;
            }

            default:
            {
                trust = TrustBundleSource.FromFile(options.RootFile, options.FilePollInterval, loggers?.CreateLogger<TrustBundleSource>());
                owned.Add(trust);
                var client = new IstioCaClient(new IstioCaClientOptions
                {
                    Address = IstioCaClientOptions.ResolveAddress(options.CaAddress),
                    Trust = trust,
                    TokenPath = options.TokenFile,
                    ClusterId = options.ClusterId,
                    Timeout = options.CaTimeout,
                });
                owned.Add(client);
                source = new CaCertificateSource(client, ResolveIdentity(options), options.Validity);
                break;
            }
        }

        var manager = new CertificateManager(source, null, loggers?.CreateLogger<CertificateManager>());
        return new MeshIdentity(options, manager, trust, owned, loggers);
    }

    /// <summary>Starts fetching; readiness is <c>Certificates.IsReady</c> / <c>Certificates.WaitUntilAvailableAsync</c>.</summary>
    public void Start() => Certificates.Start();

    public async ValueTask DisposeAsync()
    {
        await Certificates.DisposeAsync().ConfigureAwait(false);
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static SpiffeId ResolveIdentity(MeshIdentityOptions options)
    {
        if (!options.Identity.IsEmpty)
        {
            return options.Identity;
        }

        // The token names the service account istiod will sign for; reading it here also fails
        // early, with the file name, when it is not mounted.
        var token = ServiceAccountToken.Read(options.TokenFile);
        if (ServiceAccountToken.TryGetIdentity(token, options.TrustDomain, out var fromToken))
        {
            return fromToken;
        }

        var ns = Environment.GetEnvironmentVariable("POD_NAMESPACE");
        var sa = Environment.GetEnvironmentVariable("SERVICE_ACCOUNT");
        if (!string.IsNullOrEmpty(ns) && !string.IsNullOrEmpty(sa))
        {
            return SpiffeId.Create(options.TrustDomain, ns, sa);
        }

        throw new CertificateProvisioningException(
            $"cannot tell which identity to request: token file '{options.TokenFile}' has no service-account subject and POD_NAMESPACE/SERVICE_ACCOUNT are not set");
    }
}
