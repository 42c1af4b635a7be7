using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// One Node echo process (e2e/peers/echo.js) listening on one port on every pod address. Its answers carry
/// "backend" = <see cref="Name"/>, so tests see which backend a request reached.
/// </summary>
public sealed class EchoBackend : IDisposable
{
    private readonly ChildProcess _process;
    private static readonly HttpClient Direct = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    private EchoBackend(ChildProcess process, string name, string ns, IReadOnlyList<string> addresses, int port)
    {
        _process = process;
        Name = name;
        Namespace = ns;
        Addresses = addresses;
        Port = port;
    }

    public string Name { get; }

    public string Namespace { get; }

    public IReadOnlyList<string> Addresses { get; }

    public int Port { get; }

    public string Output => _process.Output();

    public static async Task<EchoBackend> StartAsync(string name, string ns, IReadOnlyList<string> addresses)
    {
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start(
            "echo " + name,
            "node",
            [RepoLayout.EchoScript, "--name", name, "--namespace", ns, "--addresses", string.Join(',', addresses)],
            beforeStart: p => p.StdoutLine += line =>
            {
                if (line.StartsWith("{\"ready\":true", StringComparison.Ordinal))
                {
                    ready.TrySetResult(line);
                }
            });
        var finished = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(15)));
        if (finished != ready.Task)
        {
            var output = process.Output();
            var exit = process.ExitDescription();
            process.Dispose();
            throw new InvalidOperationException($"echo backend {name} did not start ({exit}):\n{output}");
        }

        var port = JsonNode.Parse(ready.Task.Result)!["port"]!.GetValue<int>();
        return new EchoBackend(process, name, ns, addresses, port);
    }

    /// <summary>
    /// A Service named <paramref name="serviceName"/> (port <paramref name="servicePort"/> -> the echo port)
    /// and its EndpointSlice listing every pod address; several Services may front the same echo.
    /// </summary>
    public string ServiceYaml(string? serviceName = null, string? ns = null, int servicePort = 8080, string? appProtocol = null)
    {
        serviceName ??= Name;
        ns ??= Namespace;
        var endpoints = string.Concat(Addresses.Select(a => $"- addresses: [\"{a}\"]\n  conditions:\n    ready: true\n"));
        var appProtocolLine = appProtocol is null ? string.Empty : $"\n    appProtocol: {appProtocol}";
        return Manifests.ServiceWithSlice(serviceName, ns, servicePort, Port, endpoints, appProtocolLine);
    }

    /// <summary>Every request this echo saw so far (mirrored ones included), oldest first.</summary>
    public async Task<IReadOnlyList<EchoRequest>> RequestsAsync()
    {
        var json = await Direct.GetStringAsync($"http://{Addresses[0]}:{Port}/__requests");
        var list = new List<EchoRequest>();
        foreach (var node in JsonNode.Parse(json)!.AsArray())
        {
            list.Add(EchoRequest.From(node!.AsObject()));
        }

        return list;
    }

    public async Task ClearRequestsAsync()
    {
        using var response = await Direct.DeleteAsync($"http://{Addresses[0]}:{Port}/__requests");
        response.EnsureSuccessStatusCode();
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>What the echo backend saw: the request as the gateway forwarded it.</summary>
public sealed record EchoRequest(
    string Path,
    string Query,
    string Host,
    string Method,
    string Proto,
    IReadOnlyDictionary<string, string[]> Headers,
    string Backend,
    string Namespace,
    string Pod,
    long BodyLength,
    string Remote)
{
    public static EchoRequest From(JsonObject json)
    {
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (json["headers"] is JsonObject h)
        {
            foreach (var (name, values) in h)
            {
                headers[name] = values!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
            }
        }

        return new EchoRequest(
            json["path"]!.GetValue<string>(),
            json["query"]!.GetValue<string>(),
            json["host"]!.GetValue<string>(),
            json["method"]!.GetValue<string>(),
            json["proto"]!.GetValue<string>(),
            headers,
            json["backend"]!.GetValue<string>(),
            json["namespace"]!.GetValue<string>(),
            json["pod"]!.GetValue<string>(),
            json["bodyLength"]?.GetValue<long>() ?? 0,
            (string?)json["remote"] ?? string.Empty);
    }

    /// <summary>The header's values joined with ", " (as an HTTP intermediary may fold them), or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var values) ? string.Join(", ", values) : null;

    /// <summary>The host without a port, lower-case.</summary>
    public string HostName
    {
        get
        {
            var host = Host;
            var colon = host.LastIndexOf(':');
            if (colon > 0 && !host.EndsWith(']'))
            {
                host = host[..colon];
            }

            return host.ToLowerInvariant();
        }
    }
}
