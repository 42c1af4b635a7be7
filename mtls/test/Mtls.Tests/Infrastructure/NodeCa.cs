using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>
/// The Node test CA (mtls/test/ca-server) as a child process on 127.0.0.1. Installs its npm
/// packages on first use (under a file lock, so parallel test classes do not race), starts it,
/// waits for "LISTENING &lt;port&gt;" and records every "SIGNED" line.
/// </summary>
public sealed class NodeCa : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _signed = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private NodeCa(Process process, string stateDir, int port)
    {
        _process = process;
        StateDir = stateDir;
        Port = port;
    }

    public string StateDir { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string RootPath => Path.Combine(StateDir, "root-cert.pem");

    /// <summary>Switches the fault mode for the next requests ("none" to heal).</summary>
    public void SetFault(string fault) => File.WriteAllText(Path.Combine(StateDir, "fault"), fault);

    /// <summary>SPIFFE IDs of the certificates this CA process has returned, in order.</summary>
    public IReadOnlyCollection<string> Signed => _signed;

    public static string ServerDirectory { get; } = FindServerDirectory();

    /// <summary>Creates the test root in <paramref name="stateDir"/> without serving.</summary>
    public static async Task InitRootAsync(string stateDir)
    {
        await EnsureInstalledAsync();
        using var process = Process.Start(NodeStartInfo(["--state-dir", stateDir, "--init-only"]))!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (!output.Contains("INITIALIZED", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"test CA init failed: {output} {await process.StandardError.ReadToEndAsync()}");
        }
    }

    public static async Task<NodeCa> StartAsync(string stateDir, params string[] extraArgs)
    {
        await EnsureInstalledAsync();
        var args = new List<string> { "--state-dir", stateDir, "--fault-file", Path.Combine(stateDir, "fault") };
        args.AddRange(extraArgs);
        var process = Process.Start(NodeStartInfo(args))!;
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        NodeCa? ca = null;
        var signedEarly = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("test CA exited before listening"));
                return;
            }

            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(e.Data.AsSpan(10)));
            }
            else if (e.Data.StartsWith("SIGNED ", StringComparison.Ordinal))
            {
                (ca?._signed ?? signedEarly).Enqueue(e.Data.Split(' ')[1]);
            }
        };
        var stderr = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        int port;
        try
        {
            port = await listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex)
        {
            Kill(process);
            throw new InvalidOperationException($"test CA did not start: {ex.Message}; stderr: {string.Join('\n', stderr)}", ex);
        }

        ca = new NodeCa(process, stateDir, port);
        foreach (var line in stderr)
        {
            ca._stderr.Enqueue(line);
        }

        return ca;
    }

    /// <summary>A port nothing listens on right now (for "CA down" tests that start the CA later on it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static ProcessStartInfo NodeStartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = ServerDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(ServerDirectory, "server.js"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    // npm ci once per checkout; the lock file serialises parallel test classes (and parallel test
    // processes) so only one of them installs.
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool _installed;

    private static async Task EnsureInstalledAsync()
    {
        if (_installed)
        {
            return;
        }

        await InstallGate.WaitAsync();
        try
        {
            if (_installed)
            {
                return;
            }

            using (await AcquireFileLockAsync(Path.Combine(ServerDirectory, ".npm-install.lock")))
            {
                if (!File.Exists(Path.Combine(ServerDirectory, "node_modules", ".package-lock.json")))
                {
                    var info = new ProcessStartInfo("npm")
                    {
                        WorkingDirectory = ServerDirectory,
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                    };
                    foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" })
                    {
                        info.ArgumentList.Add(arg);
                    }

                    using var npm = Process.Start(info)!;
                    var stdout = npm.StandardOutput.ReadToEndAsync();
                    var stderr = npm.StandardError.ReadToEndAsync();
                    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                    await npm.WaitForExitAsync(timeout.Token);
                    if (npm.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"npm ci failed in {ServerDirectory}: {await stdout} {await stderr}");
                    }
                }
            }

            _installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static string FindServerDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "mtls", "test", "ca-server");
            if (File.Exists(Path.Combine(candidate, "server.js")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("cannot find mtls/test/ca-server above " + AppContext.BaseDirectory);
    }
}
