using System.Globalization;
using Meshway.Mtls.CaClient;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Trust;

namespace Meshway.Mtls.Cli;

/// <summary>
/// <c>meshway identity fetch</c>: one CSR round trip to the mesh CA, for an operator checking that
/// a workload can get an identity (token, CA address, root, cluster id all right) without running
/// a gateway. Exit codes: 0 success, 1 the fetch failed, 2 bad arguments.
/// </summary>
public static class IdentityFetchCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    /// <summary>Parses <paramref name="args"/> (after <c>identity fetch</c>) and runs.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 1 && args[0] is "--help" or "-h")
        {
            stdout.Write(IdentityFetchOptions.Usage);
            return Task.FromResult(ExitOk);
        }

        if (!IdentityFetchOptions.TryParse(args, out var options, out var error))
        {
            stderr.WriteLine($"identity fetch: {error}");
            stderr.Write(IdentityFetchOptions.Usage);
            return Task.FromResult(ExitUsage);
        }

        return RunAsync(options, stdout, stderr, cancellationToken);
    }

    public static async Task<int> RunAsync(IdentityFetchOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!SpiffeId.IsValidTrustDomain(options.TrustDomain))
        {
            stderr.WriteLine($"identity fetch: '{options.TrustDomain}' is not a valid trust domain");
            return ExitUsage;
        }

        var address = IstioCaClientOptions.ResolveAddress(options.CaAddress);
        try
        {
            // 1. Inputs, each with its own clear failure.
            var trust = TrustBundle.FromPem(ReadRoot(options.CaRootFile), $"'{options.CaRootFile}'");
            var token = ServiceAccountToken.Read(options.TokenFile);

            // 2. The identity istiod will sign for is the token's service account. If the token is
            //    not a readable JWT we still ask, and accept any identity in the trust domain.
            ServiceAccountToken.TryGetIdentity(token, options.TrustDomain, out var expected);
            var csrIdentity = expected.IsEmpty ? SpiffeId.Create(options.TrustDomain, "default", "default") : expected;

            // 3. One round trip, then the same validation the certificate manager applies.
            using var trustSource = TrustBundleSource.FromBundle(trust);
            using var client = new IstioCaClient(new IstioCaClientOptions
            {
                Address = address,
                Trust = trustSource,
                TokenPath = options.TokenFile,
                ClusterId = options.ClusterId,
                Timeout = options.Timeout,
            });
            using var csr = CertificateSigningRequest.Create(csrIdentity);
            var chain = await client.CreateCertificateAsync(csr.Pem, options.Validity, cancellationToken).ConfigureAwait(false);
            var certificate = ChainValidator.Validate(chain, csr.Key, expected, options.TrustDomain, DateTimeOffset.UtcNow);

            // 4. Report, then write files.
            stdout.WriteLine($"identity: {certificate.Identity}");
            stdout.WriteLine($"serial:   {certificate.SerialNumber}");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"valid:    {certificate.NotBefore:yyyy-MM-ddTHH:mm:ssZ} to {certificate.NotAfter:yyyy-MM-ddTHH:mm:ssZ} ({certificate.Lifetime.TotalHours:0.##}h)"));
            stdout.WriteLine($"chain:    {chain.Count} certificates");
            if (options.OutDirectory is { } dir)
            {
                Write(dir, certificate, chain[^1]);
                stdout.WriteLine($"wrote:    {Path.Combine(dir, FileCertificateSource.ChainFileName)}, {FileCertificateSource.KeyFileName}, {FileCertificateSource.RootFileName}");
            }

            return ExitOk;
        }
        catch (CertificateProvisioningException ex)
        {
            stderr.WriteLine($"identity fetch failed: {ex.Message}");
            return ExitFailed;
        }
        catch (IOException ex)
        {
            stderr.WriteLine($"identity fetch failed: cannot write output: {ex.Message}");
            return ExitFailed;
        }
        catch (UnauthorizedAccessException ex)
        {
            stderr.WriteLine($"identity fetch failed: cannot write output: {ex.Message}");
            return ExitFailed;
        }
    }

    private static string ReadRoot(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateProvisioningException($"CA root file '{path}' does not exist (pass the mesh root with --ca-root)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateProvisioningException($"CA root file '{path}' cannot be read: {ex.Message}");
        }
    }

    private static void Write(string directory, WorkloadCertificate certificate, string rootPem)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, FileCertificateSource.ChainFileName), certificate.ChainPem);
        var keyPath = Path.Combine(directory, FileCertificateSource.KeyFileName);
        File.WriteAllText(keyPath, certificate.KeyPem + "\n");
        if (!OperatingSystem.IsWindows())
        {
            // The private key is for this workload only.
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(Path.Combine(directory, FileCertificateSource.RootFileName), rootPem.EndsWith('\n') ? rootPem : rootPem + "\n");
    }
}
