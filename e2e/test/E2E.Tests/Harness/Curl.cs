using System.Diagnostics;
using System.Globalization;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// curl as a second, independent client (its own HTTP/1.1, HTTP/2 and TLS stacks). --resolve pins the
/// name to the gateway address so the Host header and SNI are the real hostname.
/// </summary>
public static class Curl
{
    public sealed record Result(int ExitCode, int Status, string HttpVersion, string Headers, string Body, string Error)
    {
        public override string ToString() => $"curl exit {ExitCode}, HTTP/{HttpVersion} {Status}\n{Headers}\n{Body}\n{Error}";
    }

    public static async Task<Result> RunAsync(string address, string host, int port, string pathAndQuery, bool https = false, params string[] extra)
    {
        var scheme = https ? "https" : "http";
        var headersFile = Path.GetTempFileName();
        try
        {
            var args = new List<string>
            {
                "-sS", "--max-time", "10",
                "--resolve", $"{host}:{port.ToString(CultureInfo.InvariantCulture)}:{address}",
                "-D", headersFile,
                "-w", "\n__STATUS__%{http_code} %{http_version}",
            };
            args.AddRange(extra);
            args.Add($"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}{pathAndQuery}");
            var info = new ProcessStartInfo("curl")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("curl did not finish within 20 s");
            }

            var output = await stdout;
            var marker = output.LastIndexOf("\n__STATUS__", StringComparison.Ordinal);
            var body = marker >= 0 ? output[..marker] : output;
            var statusPart = marker >= 0 ? output[(marker + "\n__STATUS__".Length)..].Split(' ') : ["0", "0"];
            return new Result(
                process.ExitCode,
                int.Parse(statusPart[0], CultureInfo.InvariantCulture),
                statusPart.Length > 1 ? statusPart[1] : "?",
                await File.ReadAllTextAsync(headersFile),
                body,
                await stderr);
        }
        finally
        {
            File.Delete(headersFile);
        }
    }
}
