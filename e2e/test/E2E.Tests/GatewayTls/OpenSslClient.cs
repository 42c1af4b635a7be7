using System.Diagnostics;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>
/// <c>openssl s_client</c> as an independent TLS client: connects, optionally with a client certificate,
/// writes one HTTP/1.1 request and returns everything it printed plus its exit code.
/// </summary>
internal static class OpenSslClient
{
    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"openssl exit {ExitCode}\n{Output}";
    }

    public static async Task<Result> RequestAsync(string address, int port, string sni, string host, (string Cert, string Key)? client = null, params string[] extra)
    {
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "s_client", "-connect", $"{address}:{port}", "-servername", sni, "-alpn", "http/1.1", "-ign_eof" })
        {
            info.ArgumentList.Add(a);
        }

        if (client is { } c)
        {
            info.ArgumentList.Add("-cert");
            info.ArgumentList.Add(c.Cert);
            info.ArgumentList.Add("-key");
            info.ArgumentList.Add(c.Key);
        }

        foreach (var a in extra)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.WriteAsync($"GET /s_client HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            await process.StandardInput.FlushAsync();
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // openssl already gave up (refused handshake): its output says why.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("openssl s_client did not finish within 20 s");
        }

        return new Result(process.ExitCode, await stdout + "\n" + await stderr);
    }
}
