using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Http2;

/// <summary>Runs one short-lived peer (node script or CLI tool) to completion and hands back its output.</summary>
internal static class NodePeer
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The peer's answer: its last stdout line as JSON.</summary>
        public JsonNode Json => JsonNode.Parse(Stdout.Trim().Split('\n')[^1])
            ?? throw new InvalidOperationException($"no JSON in: {this}");

        public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";
    }

    public static Task<Result> NodeAsync(string script, params string[] arguments) =>
        RunAsync("node", [Path.Combine(Harness.RepoLayout.RepoRoot, "e2e", "peers", script), .. arguments]);

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, int timeoutSeconds = 30)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {timeoutSeconds} s: {await stdout}\n{await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
