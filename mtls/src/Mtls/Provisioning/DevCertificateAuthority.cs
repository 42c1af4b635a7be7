using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.CaClient;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Provisioning;

/// <summary>
/// <c>--mesh-ca dev</c>: an in-process CA so a local waypoint and its tests run without istiod.
/// It signs CSRs exactly like the remote CA path expects (leaf, then root), so the same
/// <see cref="CaCertificateSource"/> validation runs. Unlike istiod it has no token to check, so it
/// signs the SPIFFE ID in the CSR, as long as it is in its trust domain. Never for production.
/// </summary>
public sealed class DevCertificateAuthority : ICertificateAuthorityClient, IDisposable
{
    private readonly ECDsa _rootKey;
    private readonly X509Certificate2 _root;
    private readonly TimeProvider _time;

    public DevCertificateAuthority(string trustDomain = SpiffeId.DefaultTrustDomain, TimeProvider? time = null)
    {
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            throw new ArgumentException($"'{trustDomain}' is not a valid trust domain", nameof(trustDomain));
        }

        TrustDomain = trustDomain;
        _time = time ?? TimeProvider.System;
        _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O={trustDomain}, CN=Meshway dev CA", _rootKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = _time.GetUtcNow();
        _root = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        RootPem = _root.ExportCertificatePem() + "\n";
        Trust = TrustBundleSource.FromBundle(TrustBundle.FromPem(RootPem, "dev CA"));
    }

    public string TrustDomain { get; }

    /// <summary>The dev root, PEM; peers that should trust this CA need it.</summary>
    public string RootPem { get; }

    /// <summary>The dev root as a trust bundle, for the TLS option builders.</summary>
    public TrustBundleSource Trust { get; }

    public string Description => $"in-process dev CA (trust domain {TrustDomain})";

    /// <summary>Writes the root to <paramref name="path"/> so local tools (curl, other meshway processes) can trust it.</summary>
    public void WriteRoot(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, RootPem);
    }

    public Task<IReadOnlyList<string>> CreateCertificateAsync(string csrPem, TimeSpan validity, CancellationToken cancellationToken)
    {
        CertificateRequest request;
        try
        {
            // Extensions are needed to read the SAN; the signature is checked by the load.
            request = CertificateRequest.LoadSigningRequestPem(
                csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateProvisioningException($"dev CA: cannot parse the CSR: {ex.Message}");
        }

        var identity = default(SpiffeId);
        foreach (var extension in request.CertificateExtensions)
        {
            if (extension.Oid?.Value == "2.5.29.17")
            {
                foreach (var uri in SubjectAltNames.ReadUris(extension.RawData))
                {
                    if (SpiffeId.TryParse(uri, out var id))
                    {
                        identity = id;
                    }
                }
            }
        }

        if (identity.IsEmpty || !identity.IsInTrustDomain(TrustDomain))
        {
            throw new CertificateProvisioningException(
                $"dev CA: the CSR must carry a SPIFFE ID in trust domain '{TrustDomain}' (got '{identity}')");
        }

        // Re-issue with only the extensions a workload certificate should have.
        var leafRequest = new CertificateRequest(new X500DistinguishedName(string.Empty), request.PublicKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.ToString()));
        leafRequest.CertificateExtensions.Add(san.Build(critical: true));
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));

        // Whole seconds, as X.509 stores them, so the lifetime is exactly what was asked.
        var now = _time.GetUtcNow();
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        using var leaf = leafRequest.Create(_root, start, start + validity, serial);
        IReadOnlyList<string> chain = [leaf.ExportCertificatePem() + "\n", RootPem];
        return Task.FromResult(chain);
    }

    public void Dispose()
    {
        Trust.Dispose();
        _root.Dispose();
        _rootKey.Dispose();
    }
}
