using System.Net;
using System.Text.Json;
using Meshway.Config;
using Meshway.DataPlane;
using Meshway.Routing.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshway.Admin;

/// <summary>
/// The admin server on 127.0.0.1 only (it exposes config and secrets' subjects): /ready, /status,
/// /config_dump, /metrics. A separate Kestrel so gateway listeners can come and go without touching it.
/// </summary>
internal sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminServer(WebApplication app)
    {
        _app = app;
    }

    public int Port { get; private set; }

    public static async Task<AdminServer> StartAsync(
        int port, DataPlaneHost host, ConfigApplier applier, ILoggerFactory loggerFactory, CancellationToken cancellationToken,
        MeshIdentityStatus? meshIdentity = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-admin" });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRouting();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new SharedLoggerProvider(loggerFactory));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();

        app.MapGet("/ready", (HttpContext context) =>
        {
            var ready = applier.Ready;
            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsync(ready ? "ready\n" : "not ready: no config applied yet\n");
        });

        app.MapGet("/status", (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            var status = applier.Current?.StatusJson ?? """{"apiVersion":"v1","kind":"List","items":[]}""";
            return context.Response.WriteAsync(meshIdentity is null ? status : meshIdentity.AddTo(status));
        });

        app.MapGet("/config_dump", (HttpContext context) =>
        {
            var applied = applier.Current;
            var json = SnapshotJson.Write(applied?.Snapshot ?? RoutingSnapshot.Empty);
            json["generation"] = applied?.Generation ?? 0;
            json["snapshotVersion"] = host.Store.Version;
            json["appliedAt"] = applied?.AppliedAt.UtcDateTime.ToString("O");
            var failed = new System.Text.Json.Nodes.JsonObject();
            foreach (var (binding, reason) in host.Listeners.FailedBindings)
            {
                failed[binding] = reason;
            }

            json["failedBindings"] = failed;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });

        app.MapGet("/metrics", (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            var metrics = host.Metrics.WritePrometheus();
            return context.Response.WriteAsync(meshIdentity is null ? metrics : metrics + meshIdentity.WritePrometheus());
        });

        await app.StartAsync(cancellationToken);
        return new AdminServer(app) { Port = port };
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    /// <summary>Sends the embedded host's logs to the process logger factory without disposing it.</summary>
    private sealed class SharedLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
