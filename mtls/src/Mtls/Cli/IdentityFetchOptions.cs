using Meshway.Mtls.CaClient;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;

namespace Meshway.Mtls.Cli;

/// <summary>
/// Flags of <c>meshway identity fetch --ca-address HOST:PORT --ca-root FILE --token-file FILE
/// [--cluster-id ID] [--trust-domain TD] [--out DIR]</c>.
/// </summary>
public sealed class IdentityFetchOptions
{
    /// <summary>host:port of the CA; empty means CA_ADDR, else istiod.istio-system.svc:15012.</summary>
    public string? CaAddress { get; init; }

    /// <summary>Mesh root that the CA's server certificate must chain to.</summary>
    public string CaRootFile { get; init; } = Trust.TrustBundleSource.DefaultRootPath;

    /// <summary>Projected service-account token (audience istio-ca).</summary>
    public string TokenFile { get; init; } = ServiceAccountToken.DefaultPath;

    public string ClusterId { get; init; } = "Kubernetes";

    public string TrustDomain { get; init; } = SpiffeId.DefaultTrustDomain;

    /// <summary>Where to write cert-chain.pem, key.pem and root-cert.pem; null to only print.</summary>
    public string? OutDirectory { get; init; }

    public TimeSpan Validity { get; init; } = CaCertificateSource.DefaultValidity;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Parses the command's arguments (after <c>identity fetch</c>). Returns false with a message
    /// for unknown flags or missing values.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> args, out IdentityFetchOptions options, out string error)
    {
        string? address = null, root = null, token = null, cluster = null, trustDomain = null, outDir = null;
        for (var i = 0; i < args.Count; i++)
        {
            // Both "--flag value" and "--flag=value".
            var flag = args[i];
            string value;
            var equals = flag.IndexOf('=', StringComparison.Ordinal);
            if (flag.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                value = flag[(equals + 1)..];
                flag = flag[..equals];
            }
            else if (i + 1 >= args.Count)
            {
                options = new IdentityFetchOptions();
                error = $"flag {flag} needs a value";
                return false;
            }
            else
            {
                value = args[++i];
            }

            switch (flag)
            {
                case "--ca-address": address = value; break;
                case "--ca-root": root = value; break;
                case "--token-file": token = value; break;
                case "--cluster-id": cluster = value; break;
                case "--trust-domain": trustDomain = value; break;
                case "--out": outDir = value; break;
                default:
                    options = new IdentityFetchOptions();
                    error = $"unknown flag {flag}";
                    return false;
            }
        }

        var defaults = new IdentityFetchOptions();
        options = new IdentityFetchOptions
        {
            CaAddress = address,
            CaRootFile = root ?? defaults.CaRootFile,
            TokenFile = token ?? defaults.TokenFile,
            ClusterId = cluster ?? defaults.ClusterId,
            TrustDomain = trustDomain ?? defaults.TrustDomain,
            OutDirectory = outDir,
        };
        error = string.Empty;
        return true;
    }

    /// <summary>Usage text for --help and for argument errors.</summary>
    public const string Usage =
        "usage: meshway identity fetch --ca-address HOST:PORT --ca-root FILE --token-file FILE [--cluster-id ID] [--trust-domain TD] [--out DIR]\n" +
        "  One CSR round trip to the Istio CA: prints the SPIFFE ID, serial, validity and chain length,\n" +
        "  and writes cert-chain.pem, key.pem and root-cert.pem to DIR.\n" +
        $"  Defaults: --ca-address ${IstioCaClientOptions.AddressEnvironmentVariable} or {IstioCaClientOptions.DefaultAddress}, " +
        "--ca-root /var/run/secrets/istio/root-cert.pem, --token-file " + ServiceAccountToken.DefaultPath + ", --cluster-id Kubernetes, --trust-domain cluster.local\n";
}
