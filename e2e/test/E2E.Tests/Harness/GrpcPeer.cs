using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// A @grpc/grpc-js echo server (e2e/peers/grpc.js) on one port on every pod address: an independent
/// HTTP/2 and gRPC stack, so the gateway's h2c and trailer handling is checked against a real gRPC peer.
/// </summary>
public sealed class GrpcServer : IDisposable
{
    private readonly ChildProcess _process;

    private GrpcServer(ChildProcess process, string name, string ns, IReadOnlyList<string> addresses, int port)
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

    public static string Script => Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "grpc.js");

    public static async Task<GrpcServer> StartAsync(string name, string ns, IReadOnlyList<string> addresses)
    {
        await NodePackages.EnsureInstalledAsync();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start(
            "grpc " + name,
            "node",
            [Script, "server", "--name", name, "--addresses", string.Join(',', addresses)],
            beforeStart: p => p.StdoutLine += line =>
            {
                if (line.StartsWith("{\"ready\":true", StringComparison.Ordinal))
                {
                    ready.TrySetResult(line);
                }
            });
        var finished = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        if (finished != ready.Task)
        {
            var output = process.Output();
            process.Dispose();
            throw new InvalidOperationException($"gRPC server {name} did not start:\n{output}");
        }

        var port = JsonNode.Parse(ready.Task.Result)!["port"]!.GetValue<int>();
        return new GrpcServer(process, name, ns, addresses, port);
    }

    /// <summary>A Service (port <paramref name="servicePort"/> -> the gRPC port) and its EndpointSlice.</summary>
    public string ServiceYaml(string? serviceName = null, int servicePort = 50051, string? appProtocol = null)
    {
        var endpoints = string.Concat(Addresses.Select(a => $"- addresses: [\"{a}\"]\n  conditions:\n    ready: true\n"));
        var appProtocolLine = appProtocol is null ? string.Empty : $"\n    appProtocol: {appProtocol}";
        return Manifests.ServiceWithSlice(serviceName ?? Name, Namespace, servicePort, Port, endpoints, appProtocolLine);
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>What one grpc.js client run saw (the last call, plus per-backend and per-code counts over all calls).</summary>
public sealed record GrpcResult(
    bool Ok,
    int Code,
    string? Details,
    IReadOnlyList<JsonObject> Replies,
    JsonObject Headers,
    JsonObject Trailers,
    IReadOnlyDictionary<string, int> Backends,
    IReadOnlyDictionary<int, int> Codes,
    string Raw)
{
    // gRPC status codes the tests look for (grpc/doc/statuscodes.md).
    public const int OkCode = 0;
    public const int Unimplemented = 12;
    public const int Unavailable = 14;

    public static async Task<GrpcResult> CallAsync(
        string target, string authority, string method, string text = "hello", int count = 0, int repeat = 1, string? metadata = null,
        string? caFile = null)
    {
        await NodePackages.EnsureInstalledAsync();
        var arguments = new List<string>
        {
            GrpcServer.Script, "client", "--target", target, "--authority", authority, "--method", method,
            "--text", text, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--repeat", repeat.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (metadata is not null)
        {
            arguments.AddRange(["--metadata", metadata]);
        }

        if (caFile is not null)
        {
            arguments.AddRange(["--ca", caFile]);
        }

        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = ChildProcess.Start("grpc client", "node", arguments, beforeStart: p => p.StdoutLine += l =>
        {
            if (l.StartsWith("{\"ok\":", StringComparison.Ordinal))
            {
                result.TrySetResult(l);
            }
        });
        if (await Task.WhenAny(result.Task, Task.Delay(TimeSpan.FromSeconds(60))) != result.Task)
        {
            throw new InvalidOperationException("gRPC client printed no result:\n" + process.Output());
        }

        var line = result.Task.Result;
        var json = JsonNode.Parse(line)!.AsObject();
        var backends = json["backends"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
        var codes = json["codes"]!.AsObject().ToDictionary(p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture), p => p.Value!.GetValue<int>());
        return new GrpcResult(
            json["ok"]!.GetValue<bool>(),
            json["code"]!.GetValue<int>(),
            (string?)json["details"],
            json["replies"]!.AsArray().Select(r => r!.AsObject()).ToList(),
            json["headers"]!.AsObject(),
            json["trailers"]!.AsObject(),
            backends,
            codes,
            line);
    }

    public override string ToString() => Raw;
}
