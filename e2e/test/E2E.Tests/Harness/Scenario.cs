using Xunit.Abstractions;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// One isolated world: a loopback /24 (gateway on .1, echo pods from .10), a temp config directory, the
/// echo backends and the gateway process. Disposing stops every process and deletes the directory.
/// </summary>
public sealed class Scenario : IDisposable
{
    private readonly List<EchoBackend> _echoes = [];
    private readonly List<IDisposable> _owned = [];
    private GatewayProcess? _gateway;
    private GatewayClient? _client;
    private int _nextHost = 10;

    private Scenario(string name)
    {
        Name = name;
        Subnet = Loopback.AllocateSubnet();
        ConfigDir = Path.Combine(Path.GetTempPath(), "meshway-e2e", $"{name}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(ConfigDir);
    }

    public string Name { get; }

    public string Subnet { get; }

    public string GatewayAddress => Subnet + ".1";

    /// <summary>Addresses .2 to .9 are for extra Gateways of the scenario.</summary>
    public string ExtraGatewayAddress(int n) => n is >= 2 and <= 9 ? $"{Subnet}.{n}" : throw new ArgumentOutOfRangeException(nameof(n));

    public string ConfigDir { get; }

    public GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("gateway not started");

    public GatewayClient Client => _client ??= new GatewayClient(GatewayAddress);

    public static Scenario Create(string name) => new(name);

    /// <summary>A fresh pod address in this scenario's subnet.</summary>
    public string NextAddress() => $"{Subnet}.{_nextHost++}";

    /// <summary>A port free on the gateway address, for a listener.</summary>
    public int FreePort() => Loopback.FreePort(GatewayAddress);

    public async Task<EchoBackend> StartEchoAsync(string name, string ns = "default", int pods = 1)
    {
        var addresses = new List<string>();
        for (var i = 0; i < pods; i++)
        {
            addresses.Add(NextAddress());
        }

        return await StartEchoAsync(name, ns, addresses);
    }

    /// <summary>An echo on explicit addresses (e.g. 127.0.0.1, as acceptance setups use).</summary>
    public async Task<EchoBackend> StartEchoAsync(string name, string ns, IReadOnlyList<string> addresses)
    {
        var echo = await EchoBackend.StartAsync(name, ns, addresses);
        _echoes.Add(echo);
        return echo;
    }

    /// <summary>Another peer process (gRPC server, ...) the scenario stops when it is disposed.</summary>
    public T Own<T>(T peer)
        where T : IDisposable
    {
        _owned.Add(peer);
        return peer;
    }

    /// <summary>Writes (or overwrites in place, as an editor would) a file in the config directory.</summary>
    public void WriteFile(string fileName, string content) => File.WriteAllText(Path.Combine(ConfigDir, fileName), content);

    public string ReadFile(string fileName) => File.ReadAllText(Path.Combine(ConfigDir, fileName));

    public void DeleteFile(string fileName) => File.Delete(Path.Combine(ConfigDir, fileName));

    /// <summary>Starts `meshway run --config DIR --admin-port N [extra…]` and waits for /ready.</summary>
    public async Task StartGatewayAsync(params string[] extraArguments)
    {
        _gateway = await GatewayProcess.StartAsync(ConfigDir, TimeSpan.FromSeconds(60), extraArguments);
    }

    /// <summary>Gateway log lines since <paramref name="fromLine"/> plus the config files, for a failing test's output.</summary>
    public void WriteDiagnostics(ITestOutputHelper output, int fromLine = 0)
    {
        try
        {
            output.WriteLine($"scenario {Name}: gateway {GatewayAddress}, admin {(_gateway is null ? "-" : _gateway.AdminBase)}, config {ConfigDir}");
            if (_gateway is not null)
            {
                output.WriteLine(_gateway.Logs(fromLine));
            }

            foreach (var file in Directory.EnumerateFiles(ConfigDir).Order())
            {
                output.WriteLine("---- " + Path.GetFileName(file));
                output.WriteLine(File.ReadAllText(file));
            }
        }
        catch (InvalidOperationException)
        {
            // No active test to write to (fixture teardown).
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _gateway?.Dispose();
        foreach (var echo in _echoes)
        {
            echo.Dispose();
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        // MESHWAY_E2E_KEEP=1 keeps the config directories to replay a failure by hand.
        if (Environment.GetEnvironmentVariable("MESHWAY_E2E_KEEP") == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(ConfigDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }
}

/// <summary>A scenario shared by one test class: configured once, gateway started once.</summary>
public abstract class ScenarioFixture : IAsyncLifetime
{
    private Scenario? _scenario;

    public Scenario Scenario => _scenario ?? throw new InvalidOperationException("fixture not initialised");

    protected abstract string Name { get; }

    public async Task InitializeAsync()
    {
        _scenario = Scenario.Create(Name);
        try
        {
            await ConfigureAsync(_scenario);
            await _scenario.StartGatewayAsync();
        }
        catch
        {
            _scenario.Dispose();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        _scenario?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Starts backends and writes the config files (before the gateway starts).</summary>
    protected abstract Task ConfigureAsync(Scenario scenario);
}

/// <summary>Base of test classes that share a <typeparamref name="TFixture"/>: writes the gateway log of each test to its output.</summary>
public abstract class ScenarioTests<TFixture> : IClassFixture<TFixture>, IDisposable
    where TFixture : ScenarioFixture
{
    private readonly ITestOutputHelper _output;
    private readonly int _logStart;

    protected ScenarioTests(TFixture fixture, ITestOutputHelper output)
    {
        Shared = fixture;
        S = fixture.Scenario;
        _output = output;
        _logStart = S.Gateway.LogLineCount;
    }

    protected TFixture Shared { get; }

    protected Scenario S { get; }

    protected GatewayClient Client => S.Client;

    public void Dispose()
    {
        S.WriteDiagnostics(_output, _logStart);
        GC.SuppressFinalize(this);
    }
}
