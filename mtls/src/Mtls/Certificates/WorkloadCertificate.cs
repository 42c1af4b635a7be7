using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Certificates;

/// <summary>
/// One validated workload certificate: the leaf with its private key, the intermediates to send
/// with it, the CA root(s) the response named, and the TLS context built once for it. Immutable:
/// rotation publishes a new instance; connections that started on the old one keep it.
/// </summary>
public sealed class WorkloadCertificate
{
    private SslStreamCertificateContext? _context;

    internal WorkloadCertificate(
        SpiffeId identity,
        X509Certificate2 leaf,
        X509Certificate2Collection intermediates,
        X509Certificate2Collection roots,
        string chainPem,
        string keyPem)
    {
        Identity = identity;
        Leaf = leaf;
        Intermediates = intermediates;
        Roots = roots;
        ChainPem = chainPem;
        KeyPem = keyPem;
    }

    public SpiffeId Identity { get; }

    /// <summary>The leaf, with its private key attached.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>Certificates between the leaf and the root, sent in the TLS handshake.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The last element(s) of the CA's chain: the root that signed us.</summary>
    public X509Certificate2Collection Roots { get; }

    /// <summary>The chain exactly as received (leaf first, root last), PEM, for cert-chain.pem.</summary>
    public string ChainPem { get; }

    /// <summary>PKCS#8 private key PEM, for key.pem.</summary>
    public string KeyPem { get; }

    public DateTimeOffset NotBefore => new(Leaf.NotBefore.ToUniversalTime());

    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime());

    public string SerialNumber => Leaf.SerialNumber;

    public TimeSpan Lifetime => NotAfter - NotBefore;

    /// <summary>
    /// The TLS certificate context (leaf + intermediates), built once per certificate rather than per
    /// handshake. offline: true because the intermediates are all we have; no AIA fetching.
    /// </summary>
    public SslStreamCertificateContext Context
        => _context ??= SslStreamCertificateContext.Create(Leaf, Intermediates, offline: true);

    public bool IsValidAt(DateTimeOffset now) => now >= NotBefore && now < NotAfter;

    /// <summary>
    /// Builds a certificate from PEM files (cert-chain.pem + key.pem). The key must match the leaf.
    /// </summary>
    internal static WorkloadCertificate FromPem(SpiffeId identity, IReadOnlyList<X509Certificate2> chain, string chainPem, string keyPem)
    {
        // Not disposed: the leaf built below keeps using this key for every handshake.
        var key = ECDsa.Create();
        key.ImportFromPem(keyPem);
        return FromChain(identity, chain, key, chainPem);
    }

    internal static WorkloadCertificate FromChain(SpiffeId identity, IReadOnlyList<X509Certificate2> chain, ECDsa key, string chainPem)
    {
        // CopyWithPrivateKey gives an ephemeral key binding. On Linux SslStream accepts it directly;
        // a PKCS#12 round trip (what Windows needs) is not required here.
        var leaf = chain[0].CopyWithPrivateKey(key);
        var intermediates = new X509Certificate2Collection();
        var roots = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            if (i == chain.Count - 1 && IsSelfSigned(chain[i]))
            {
                roots.Add(chain[i]);
            }
            else
            {
                intermediates.Add(chain[i]);
            }
        }

        return new WorkloadCertificate(identity, leaf, intermediates, roots, chainPem, key.ExportPkcs8PrivateKeyPem());
    }

    private static bool IsSelfSigned(X509Certificate2 certificate)
        => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
