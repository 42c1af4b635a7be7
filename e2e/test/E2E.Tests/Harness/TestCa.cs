using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.E2E.Tests.Harness;

/// <summary>A throwaway certificate authority made at test time, issuing server certificates for backends.</summary>
public sealed class TestCa
{
    private readonly X509Certificate2 _ca;

    private TestCa(X509Certificate2 ca) => _ca = ca;

    public string CertificatePem => _ca.ExportCertificatePem();

    public static TestCa Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new TestCa(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)));
    }

    /// <summary>A leaf for <paramref name="dnsNames"/> (and optional URI SANs) as PEM certificate and PKCS#8 key.</summary>
    public (string CertificatePem, string KeyPem) Issue(string[] dnsNames, params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(dnsNames.Length > 0 ? dnsNames[0] : "backend")}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (var uri in uris)
        {
            san.AddUri(new Uri(uri));
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var caKey = _ca.GetECDsaPrivateKey()!;
        var serial = RandomNumberGenerator.GetBytes(12);
        using var leaf = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return (leaf.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}

/// <summary>A Node HTTPS echo (e2e/peers/tls-echo.js) serving one certificate on one address.</summary>
public sealed class TlsEchoBackend : IDisposable
{
    private readonly ChildProcess _process;

    private TlsEchoBackend(ChildProcess process, string name, string address, int port)
    {
        _process = process;
        Name = name;
        Address = address;
        Port = port;
    }

    public string Name { get; }

    public string Address { get; }

    public int Port { get; }

    public static async Task<TlsEchoBackend> StartAsync(string name, string address, (string CertificatePem, string KeyPem) certificate, string directory)
    {
        var certFile = Path.Combine(directory, name + ".crt.pem.txt");
        var keyFile = Path.Combine(directory, name + ".key.pem.txt");
        await File.WriteAllTextAsync(certFile, certificate.CertificatePem);
        await File.WriteAllTextAsync(keyFile, certificate.KeyPem);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start(
            "tls-echo " + name,
            "node",
            [Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "tls-echo.js"), "--name", name, "--address", address, "--cert", certFile, "--key", keyFile],
            beforeStart: p => p.StdoutLine += line =>
            {
                if (line.StartsWith("{\"ready\":true", StringComparison.Ordinal))
                {
                    ready.TrySetResult(line);
                }
            });
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(15))) != ready.Task)
        {
            var output = process.Output();
            process.Dispose();
            throw new InvalidOperationException($"TLS echo {name} did not start:\n{output}");
        }

        var port = System.Text.Json.Nodes.JsonNode.Parse(ready.Task.Result)!["port"]!.GetValue<int>();
        return new TlsEchoBackend(process, name, address, port);
    }

    public string ServiceYaml(string serviceName) => Manifests.ServiceWithSlice(
        serviceName, "default", 443, Port, $"- addresses: [\"{Address}\"]\n  conditions:\n    ready: true\n");

    public void Dispose() => _process.Dispose();
}
