using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Tests.Infrastructure;

/// <summary>What a test backend saw of one request.</summary>
public sealed record SeenRequest(string Method, string Path, string Query, string Host, string Protocol, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A real Kestrel backend on 127.0.0.1 (random port) that answers JSON describing the request it got and
/// records it. "?delay=MS" delays the answer; "?status=N" sets the status code.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    public static async Task<TestBackend> StartAsync(string name, bool h2cOnly = false)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
            l.Protocols = h2cOnly ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        var backend = new TestBackend(app, name);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in request.Headers)
        {
            headers[k] = v.ToString();
        }

        var seen = new SeenRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "",
            request.Host.Value ?? "", request.Protocol, headers, body);
        Seen.Enqueue(seen);
        if (request.Query.TryGetValue("delay", out var delay))
        {
            await Task.Delay(int.Parse(delay!), context.RequestAborted);
        }

        if (request.Query.TryGetValue("status", out var status))
        {
            context.Response.StatusCode = int.Parse(status!);
        }

        context.Response.Headers["X-Backend"] = Name;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            backend = Name,
            path = seen.Path,
            host = seen.Host,
            method = seen.Method,
            protocol = seen.Protocol,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
