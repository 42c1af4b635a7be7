using System.Diagnostics;
using System.Text.Json;

namespace Meshway.Waypoint.Tests.Infrastructure;

/// <summary>
/// The @grpc/grpc-js peer of the e2e suite (e2e/peers/grpc.js): a server as a pod's app, and one-shot client
/// calls. Installs e2e's npm packages when missing (as the e2e harness does; .ci/run installs them first),
/// under a file lock so parallel test runs sharing the checkout install once.
/// </summary>
public sealed class GrpcPeer : IAsyncDisposable
{
    private static readonly SemaphoreSlim InProcess = new(1, 1);
    private readonly Process _process;

    private GrpcPeer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static string E2EDir { get; } = FindE2E();

    /// <summary>A grpc-js echo server named <paramref name="name"/> on 127.0.0.1 (plaintext h2c).</summary>
    public static async Task<GrpcPeer> StartServerAsync(string name)
    {
        await EnsureInstalledAsync();
        var process = Start("server", "--name", name, "--addresses", "127.0.0.1");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("grpc peer exited: " + await process.StandardError.ReadToEndAsync());
            var port = JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32();
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // keep draining so the peer never blocks on a full pipe
            return new GrpcPeer(process, port);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>One client run (see grpc.js usage); returns its JSON verdict {ok, code, details, replies, headers, trailers}.</summary>
    public static async Task<JsonElement> CallAsync(params string[] args)
    {
        await EnsureInstalledAsync();
        using var process = Start(["client", .. args]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("grpc client did not finish: " + await stderr);
        }

        var output = (await stdout).Trim();
        Assert.True(output.Length > 0, "grpc client printed nothing: " + await stderr);
        return JsonDocument.Parse(output.Split('\n')[^1]).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(E2EDir, "peers", "grpc.js"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("node did not start");
    }

    private static async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(E2EDir, "node_modules", "@grpc", "grpc-js", "package.json");
        if (File.Exists(marker))
        {
            return;
        }

        await InProcess.WaitAsync();
        try
        {
            await using var fileLock = await LockAsync(Path.Combine(E2EDir, ".npm-install.lock"));
            if (File.Exists(marker))
            {
                return;
            }

            var info = new ProcessStartInfo("npm")
            {
                WorkingDirectory = E2EDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "ci", "--no-audit", "--no-fund", "--silent" })
            {
                info.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(info)!;
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await npm.WaitForExitAsync(timeout.Token);
            if (npm.ExitCode != 0 || !File.Exists(marker))
            {
                throw new InvalidOperationException($"npm ci in {E2EDir} failed ({npm.ExitCode}):\n{await stdout}\n{await stderr}");
            }
        }
        finally
        {
            InProcess.Release();
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < TimeSpan.FromMinutes(6))
            {
                await Task.Delay(250);
            }
        }
    }

    private static string FindE2E()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "e2e", "peers", "grpc.js");
            if (File.Exists(candidate))
            {
                return Path.Combine(dir.FullName, "e2e");
            }
        }

        throw new FileNotFoundException("e2e/peers/grpc.js not found above " + AppContext.BaseDirectory);
    }
}
