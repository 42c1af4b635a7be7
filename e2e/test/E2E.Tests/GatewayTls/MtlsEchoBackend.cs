using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>A Node HTTPS echo (e2e/peers/mtls-echo.js) that refuses clients without a certificate from its CA.</summary>
internal sealed class MtlsEchoBackend : IDisposable
{
    private readonly ChildProcess _process;

    private MtlsEchoBackend(ChildProcess process, string address, int port)
    {
        _process = process;
        Address = address;
        Port = port;
    }

    public string Address { get; }

    public int Port { get; }

    public static async Task<MtlsEchoBackend> StartAsync(
        string name, string address, (string CertificatePem, string KeyPem) server, string clientCaPem, string directory)
    {
        Directory.CreateDirectory(directory);
        var certFile = Path.Combine(directory, name + ".crt.pem.txt");
        var keyFile = Path.Combine(directory, name + ".key.pem.txt");
        var caFile = Path.Combine(directory, name + ".client-ca.pem.txt");
        await File.WriteAllTextAsync(certFile, server.CertificatePem);
        await File.WriteAllTextAsync(keyFile, server.KeyPem);
        await File.WriteAllTextAsync(caFile, clientCaPem);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start(
            "mtls-echo " + name,
            "node",
            [Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "mtls-echo.js"), "--name", name, "--address", address,
             "--cert", certFile, "--key", keyFile, "--ca", caFile],
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
            throw new InvalidOperationException($"mTLS echo {name} did not start:\n{output}");
        }

        var port = JsonNode.Parse(ready.Task.Result)!["port"]!.GetValue<int>();
        return new MtlsEchoBackend(process, address, port);
    }

    public string ServiceYaml(string serviceName) => Manifests.ServiceWithSlice(
        serviceName, "default", 443, Port, $"- addresses: [\"{Address}\"]\n  conditions:\n    ready: true\n");

    public void Dispose() => _process.Dispose();
}
