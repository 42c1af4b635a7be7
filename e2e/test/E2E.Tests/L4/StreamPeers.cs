using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;

namespace Meshway.E2E.Tests.L4;

/// <summary>A Node line-echo backend (e2e/peers/stream-echo.js): TLS with its own certificate, or plain TCP.</summary>
public sealed class StreamEchoPeer : IDisposable
{
    private readonly ChildProcess _process;

    private StreamEchoPeer(ChildProcess process, string name, string address, int port)
    {
        _process = process;
        Name = name;
        Address = address;
        Port = port;
    }

    public string Name { get; }

    public string Address { get; }

    public int Port { get; }

    /// <summary>Starts the peer; with <paramref name="certificate"/> it serves TLS under that certificate.</summary>
    public static async Task<StreamEchoPeer> StartAsync(string name, string address, TestCertificates.Pem? certificate, string directory)
    {
        var args = new List<string> { Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "stream-echo.js"), "--name", name, "--address", address };
        if (certificate is not null)
        {
            var certFile = Path.Combine(directory, name + ".crt.pem.txt");
            var keyFile = Path.Combine(directory, name + ".key.pem.txt");
            await File.WriteAllTextAsync(certFile, certificate.CertificatePem);
            await File.WriteAllTextAsync(keyFile, certificate.KeyPem);
            args.AddRange(["--cert", certFile, "--key", keyFile]);
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start("stream-echo " + name, "node", args, beforeStart: p => p.StdoutLine += line =>
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
            throw new InvalidOperationException($"stream echo {name} did not start:\n{output}");
        }

        return new StreamEchoPeer(process, name, address, JsonNode.Parse(ready.Task.Result)!["port"]!.GetValue<int>());
    }

    /// <summary>A Service "NAME" port <paramref name="servicePort"/> whose one endpoint is this peer.</summary>
    public string ServiceYaml(int servicePort) => Manifests.ServiceWithSlice(
        Name, "default", servicePort, Port, $"- addresses: [\"{Address}\"]\n  conditions:\n    ready: true\n");

    public void Dispose() => _process.Dispose();
}

/// <summary>What one run of e2e/peers/tls-client.js saw.</summary>
public sealed record NodeStreamResult(bool Ok, string? SubjectCn, string? Alpn, IReadOnlyList<string> Received, string? Error, string Raw);

/// <summary>Runs the real client peers: Node's tls/net (e2e/peers/tls-client.js) and openssl s_client.</summary>
public static class StreamClients
{
    public static async Task<NodeStreamResult> NodeAsync(string address, int port, string? servername, string lines, bool plain = false, string? alpn = null)
    {
        var args = new List<string>
        {
            Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "tls-client.js"),
            "--host", address, "--port", port.ToString(CultureInfo.InvariantCulture), "--lines", lines,
        };
        if (servername is not null)
        {
            args.AddRange(["--servername", servername]);
        }

        if (plain)
        {
            args.AddRange(["--plain", "1"]);
        }

        if (alpn is not null)
        {
            args.AddRange(["--alpn", alpn]);
        }

        var (_, stdout, stderr) = await RunAsync("node", args, stdin: null);
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException("tls-client printed no result: " + stdout + stderr);
        var json = JsonNode.Parse(line)!;
        var received = json["received"] is JsonArray array ? array.Select(n => (string)n!).ToList() : [];
        return new NodeStreamResult((bool)json["ok"]!, (string?)json["subjectCN"], (string?)json["alpn"], received, (string?)json["error"], line);
    }

    /// <summary>openssl s_client to address:port with SNI <paramref name="servername"/> (null: -noservername), sending <paramref name="stdin"/>.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> OpenSslAsync(string address, int port, string? servername, string stdin)
    {
        var args = new List<string> { "s_client", "-connect", address + ":" + port.ToString(CultureInfo.InvariantCulture), "-ign_eof" };
        args.AddRange(servername is null ? ["-noservername"] : ["-servername", servername]);
        return RunAsync("openssl", args, stdin);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string? stdin)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 20 s: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
