using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshway.MeshIntegration.Tests.Infrastructure;

/// <summary>
/// The Node ztunnel stand-in (mesh-integration/test/ztunnel-standin/ztunnel.js) as a child process:
/// started with its arguments, ready once it prints "LISTENING &lt;port&gt;", every stdout line kept
/// for assertions, stopped (stdin closed, then killed by its own pid) on dispose.
/// </summary>
public sealed class StandinProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private StandinProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public IReadOnlyCollection<string> Lines => _lines;

    public static string ScriptPath { get; } = FindScript();

    public static async Task<StandinProcess> StartAsync(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ScriptPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("stand-in exited: " + string.Join("\n", errors)));
                return;
            }

            lines.Enqueue(e.Data);
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(e.Data.AsSpan(10)));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int port;
        try
        {
            port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch
        {
            Kill(process);
            throw;
        }

        var standin = new StandinProcess(process, port);
        foreach (var line in lines)
        {
            standin._lines.Enqueue(line);
        }

        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                standin._lines.Enqueue(e.Data);
            }
        };
        return standin;
    }

    /// <summary>Starts a destination pod on &lt;ip&gt;:15008, trying other 127.0.10.x addresses when one is taken.</summary>
    public static async Task<(StandinProcess Process, string Address)> StartDestinationAsync(
        MeshPki pki, string name, IssuedCertificate certificate, params string[] extra)
    {
        for (var attempt = 0; ; attempt++)
        {
            var address = LoopbackAddresses.NextPod();
            try
            {
                var args = new List<string>
                {
                    "dest", "--listen", address + ":15008", "--cert", certificate.CertPath, "--key", certificate.KeyPath,
                    "--ca", pki.RootPath, "--name", name,
                };
                args.AddRange(extra);
                return (await StartAsync(args), address);
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                // Address in use (another test run): take the next one.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            Kill(_process);
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "mesh-integration", "test", "ztunnel-standin", "ztunnel.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("mesh-integration/test/ztunnel-standin/ztunnel.js not found above " + AppContext.BaseDirectory);
    }
}
