using System.Diagnostics;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// The npm packages of the Node peers (e2e/package.json: @grpc/grpc-js, @grpc/proto-loader). .ci/run
/// installs them; this does the same when a developer runs `dotnet test` alone. Test classes run in
/// parallel (and several test runs may share a checkout), so the install happens under an exclusive file
/// lock and only when node_modules is missing.
/// </summary>
public static class NodePackages
{
    private static readonly SemaphoreSlim InProcess = new(1, 1);

    public static string E2EDir => Path.Combine(RepoLayout.RepoRoot, "e2e");

    public static async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(E2EDir, "node_modules", "@grpc", "grpc-js", "package.json");
        if (File.Exists(marker))
        {
            return;
        }

        await InProcess.WaitAsync();
        try
        {
            using var fileLock = await LockAsync(Path.Combine(E2EDir, ".npm-install.lock"));
            if (File.Exists(marker))
            {
                return; // another process installed them while we waited
            }

            var lockFile = File.Exists(Path.Combine(E2EDir, "package-lock.json"));
            var info = new ProcessStartInfo("npm")
            {
                WorkingDirectory = E2EDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { lockFile ? "ci" : "install", "--no-audit", "--no-fund", "--silent" })
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
                throw new InvalidOperationException($"npm {(lockFile ? "ci" : "install")} in {E2EDir} failed ({npm.ExitCode}):\n{await stdout}\n{await stderr}");
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
}
