using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// The real `meshway run --config DIR --admin-port N` process, plus its admin API. Disposing kills it.
/// </summary>
public sealed class GatewayProcess : IDisposable
{
    private static readonly HttpClient Admin = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly ChildProcess _process;

    private GatewayProcess(ChildProcess process, int adminPort)
    {
        _process = process;
        AdminPort = adminPort;
    }

    public int AdminPort { get; }

    public bool HasExited => _process.HasExited;

    public int LogLineCount => _process.LineCount;

    public string AdminBase => $"http://127.0.0.1:{AdminPort}";

    public static Task<GatewayProcess> StartAsync(string configDir, TimeSpan readyTimeout, IEnumerable<string>? extraArguments = null) =>
        StartCommandAsync(["run", "--config", configDir, .. extraArguments ?? []], readyTimeout);

    /// <summary>
    /// Starts `meshway COMMAND… --admin-port N` and waits for /ready. With <paramref name="viaLauncher"/> the
    /// repository's ./meshway launcher is run, exactly as the README tells a user to.
    /// </summary>
    public static async Task<GatewayProcess> StartCommandAsync(IEnumerable<string> command, TimeSpan readyTimeout, bool viaLauncher = false)
    {
        var binary = await MeshwayBinary.EnsureBuiltAsync();
        var adminPort = Loopback.FreePort("127.0.0.1");
        string[] arguments = [.. command, "--admin-port", adminPort.ToString(CultureInfo.InvariantCulture)];
        var process = viaLauncher && Environment.GetEnvironmentVariable("MESHWAY_BIN") is not { Length: > 0 }
            ? ChildProcess.Start("meshway", "bash", [Path.Combine(RepoLayout.RepoRoot, "meshway"), .. arguments])
            : ChildProcess.Start("meshway", binary, arguments);
        var gateway = new GatewayProcess(process, adminPort);
        try
        {
            await gateway.WaitReadyAsync(readyTimeout);
        }
        catch
        {
            gateway.Dispose();
            throw;
        }

        return gateway;
    }

    public string Logs(int from = 0) => _process.Output(from);

    public bool LogsContain(string text, int from = 0) => _process.OutputContains(text, from);

    public async Task<(int Status, string Body)> AdminGetAsync(string path)
    {
        using var response = await Admin.GetAsync(AdminBase + path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<StatusDocument> StatusAsync()
    {
        var (status, body) = await AdminGetAsync("/status");
        if (status != 200)
        {
            throw new InvalidOperationException($"GET /status answered {status}: {body}");
        }

        return new StatusDocument(JsonNode.Parse(body)!.AsObject());
    }

    public async Task<JsonNode> ConfigDumpAsync()
    {
        var (status, body) = await AdminGetAsync("/config_dump");
        if (status != 200)
        {
            throw new InvalidOperationException($"GET /config_dump answered {status}: {body}");
        }

        return JsonNode.Parse(body)!;
    }

    public async Task<string> MetricsAsync()
    {
        var (status, body) = await AdminGetAsync("/metrics");
        if (status != 200)
        {
            throw new InvalidOperationException($"GET /metrics answered {status}: {body}");
        }

        return body;
    }

    public void Dispose() => _process.Dispose();

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.ExitDescription()} before /ready:\n{_process.Output()}");
            }

            try
            {
                var (status, body) = await AdminGetAsync("/ready");
                if (status == 200)
                {
                    return;
                }

                last = $"{status} {body}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"GET {AdminBase}/ready not 200 within {timeout} (last: {last}); {_process.ExitDescription()}:\n{_process.Output()}");
    }
}
