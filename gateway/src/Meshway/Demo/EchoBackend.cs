using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Meshway.Demo;

/// <summary>
/// The demo's backends: a tiny HTTP server answering JSON that describes the request it received
/// ({backend, method, path, host, headers}), so a curl through the gateway shows what routing did.
/// </summary>
internal sealed class EchoBackend : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly WebApplication _app;

    private EchoBackend(WebApplication app)
    {
        _app = app;
    }

    public static async Task<EchoBackend> StartAsync(string name, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-demo-" + name });
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1AndHttp2);
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var request = context.Request;
            var headers = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in request.Headers)
            {
                headers[key] = value.ToString();
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                backend = name,
                method = request.Method,
                path = request.Path.Value + request.QueryString.Value,
                host = request.Host.Value,
                headers,
            }, Indented) + "\n");
        });
        await app.StartAsync(cancellationToken);
        return new EchoBackend(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
