using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Provisioning;

/// <summary>
/// <c>--mesh-cert-dir DIR</c>: certificates written by someone else (an Istio agent, cert-manager,
/// <c>meshway identity fetch --out</c>) under Istio's file names. The files are re-read when they
/// change; a half-written update (key not matching the chain yet) is rejected and retried, and the
/// previous certificate keeps serving meanwhile.
/// </summary>
public sealed class FileCertificateSource : IWorkloadCertificateSource, IDisposable
{
    public const string ChainFileName = "cert-chain.pem";
    public const string KeyFileName = "key.pem";
    public const string RootFileName = "root-cert.pem";

    private readonly SpiffeId _expected;
    private string? _lastChain;
    private string? _lastKey;
    private WorkloadCertificate? _last;

    /// <param name="directory">Folder with cert-chain.pem, key.pem and root-cert.pem.</param>
    /// <param name="expected">Identity the files must carry; empty to accept whatever they say.</param>
    /// <param name="pollInterval">How often to look for changed files (default 2 s).</param>
    /// <exception cref="CertificateProvisioningException">root-cert.pem is missing or empty.</exception>
    public FileCertificateSource(string directory, SpiffeId expected = default, TimeSpan? pollInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
        _expected = expected;
        PollInterval = pollInterval ?? TimeSpan.FromSeconds(2);
        Trust = TrustBundleSource.FromFile(Path.Combine(directory, RootFileName), PollInterval.Value);
    }

    public string Directory { get; }

    /// <summary>The mesh roots from root-cert.pem, reloaded when the file changes.</summary>
    public TrustBundleSource Trust { get; }

    public string Description => $"certificate directory '{Directory}'";

    public TimeSpan? PollInterval { get; }

    public Task<WorkloadCertificate> FetchAsync(WorkloadCertificate? current, CancellationToken cancellationToken)
    {
        var chainPem = Read(ChainFileName);
        var keyPem = Read(KeyFileName);
        if (_last is not null && chainPem == _lastChain && keyPem == _lastKey)
        {
            return Task.FromResult(_last);
        }

        var certificate = Load(chainPem, keyPem);
        _lastChain = chainPem;
        _lastKey = keyPem;
        _last = certificate;
        return Task.FromResult(certificate);
    }

    public void Dispose() => Trust.Dispose();

    private WorkloadCertificate Load(string chainPem, string keyPem)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(chainPem);
        }
        catch (CryptographicException ex)
        {
            throw Reject($"{ChainFileName} is not valid PEM: {ex.Message}");
        }

        if (chain.Count == 0)
        {
            throw Reject($"{ChainFileName} contains no certificate");
        }

        var ids = SpiffeId.FromCertificate(chain[0]);
        if (ids.Count != 1)
        {
            throw Reject($"the first certificate in {ChainFileName} carries {ids.Count} SPIFFE IDs; expected exactly one");
        }

        if (!_expected.IsEmpty && ids[0] != _expected)
        {
            throw Reject($"{ChainFileName} is for identity {ids[0]}, expected {_expected}");
        }

        // Expiry is not a load error: the manager reports an expired file as state Expired.
        try
        {
            return WorkloadCertificate.FromPem(ids[0], [.. chain], chainPem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw Reject($"{KeyFileName} is not an ECDSA private key matching {ChainFileName}: {ex.Message}");
        }
    }

    private string Read(string name)
    {
        var path = Path.Combine(Directory, name);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Reject($"{name} does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Reject($"{name} cannot be read: {ex.Message}");
        }
    }

    private CertificateProvisioningException Reject(string reason)
        => new($"certificate directory '{Directory}': {reason}");
}
