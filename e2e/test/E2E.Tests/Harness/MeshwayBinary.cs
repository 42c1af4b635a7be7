using System.Diagnostics;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// Builds the real executable once per test run through the repository launcher (`./meshway version`,
/// which builds into .build/meshway/meshway), exactly as a user would, and returns its path.
/// MESHWAY_BIN points at an already built binary instead (CI that builds separately).
/// </summary>
public static class MeshwayBinary
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;
    private static string? _failure;

    public static async Task<string> EnsureBuiltAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_path is not null)
            {
                return _path;
            }

            if (_failure is not null)
            {
                throw new InvalidOperationException(_failure);
            }

            var fromEnv = Environment.GetEnvironmentVariable("MESHWAY_BIN");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return _path = fromEnv;
            }

            var launcher = Path.Combine(RepoLayout.RepoRoot, "meshway");
            if (!File.Exists(launcher))
            {
                _failure = "the launcher " + launcher + " does not exist";
                throw new InvalidOperationException(_failure);
            }

            using var build = ChildProcess.Start("build", "bash", [launcher, "version"]);
            var deadline = Stopwatch.StartNew();
            while (!build.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(200);
            }

            var binary = Path.Combine(RepoLayout.RepoRoot, ".build", "meshway", "meshway");
            if (!build.HasExited || !File.Exists(binary))
            {
                _failure = $"`meshway version` did not produce {binary} ({build.ExitDescription()}):\n{build.Output()}";
                throw new InvalidOperationException(_failure);
            }

            return _path = binary;
        }
        finally
        {
            Gate.Release();
        }
    }
}
