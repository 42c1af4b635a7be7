namespace Meshway.E2E.Tests.Harness;

/// <summary>Where the repository is, found from the test assembly so the suite runs from any working directory.</summary>
public static class RepoLayout
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepoRoot => Root.Value;

    public static string EchoScript => Path.Combine(RepoRoot, "e2e", "peers", "echo.js");

    private static string FindRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MESHWAY_REPO");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory + "; set MESHWAY_REPO");
    }
}
