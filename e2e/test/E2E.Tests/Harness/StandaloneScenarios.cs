using Xunit.Abstractions;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// Base for tests that change the config directory: every test gets its own scenario (its own gateway
/// process), so no test sees another's edits. The gateway log goes to the test output.
/// </summary>
public abstract class StandaloneScenarios(ITestOutputHelper output) : IDisposable
{
    private readonly List<Scenario> _scenarios = [];

    protected ITestOutputHelper Output { get; } = output;

    protected Scenario NewScenario(string name)
    {
        var scenario = Scenario.Create(name);
        _scenarios.Add(scenario);
        return scenario;
    }

    public void Dispose()
    {
        foreach (var scenario in _scenarios)
        {
            scenario.WriteDiagnostics(Output);
            scenario.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The reply for <paramref name="host"/><paramref name="path"/>, polled until <paramref name="done"/>.</summary>
    protected static async Task<(Reply Reply, TimeSpan Elapsed)> UntilAsync(Scenario s, string host, int port, string path, Func<Reply, bool> done, TimeSpan timeout, string what) =>
        await Poll.UntilAsync(() => s.Client.SendAsync(host, port, path), done, timeout, what);
}
