using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Meshway.Controller;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshway.Cluster;

/// <summary>
/// The controller's admin endpoints on 127.0.0.1 (the data-plane AdminServer needs a data plane, which the
/// controller does not run): /ready once every informer has synced, /status as computed in the last round,
/// /metrics with the controller's counters.
/// </summary>
internal static class ControllerAdmin
{
    public static async Task<WebApplication> StartAsync(int port, GatewayController controller, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "meshway-controller-admin" });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRouting();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        app.MapGet("/ready", (HttpContext context) =>
        {
            var ready = controller.Synced.IsCompletedSuccessfully;
            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsync(ready ? (controller.IsLeader ? "ready (leader)\n" : "ready (standby)\n") : "not ready: initial list not done\n");
        });
        app.MapGet("/status", (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(controller.LastStatus.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });
        app.MapGet("/metrics", (HttpContext context) =>
        {
            var sb = new StringBuilder();
            Metric(sb, "meshway_controller_leader", "gauge", "1 while this replica holds the Lease.", controller.IsLeader ? 1 : 0);
            Metric(sb, "meshway_controller_reconciles_total", "counter", "Reconcile rounds run as leader.", controller.Reconciles);
            Metric(sb, "meshway_controller_status_writes_total", "counter", "Status subresource writes (only when status changed).", controller.StatusWrites);
            Metric(sb, "meshway_controller_provision_writes_total", "counter", "Creates and updates of provisioned ServiceAccounts, Services and Deployments.", controller.ProvisionWrites);
            Metric(sb, "meshway_controller_api_requests_total", "counter", "Requests sent to the API server.", controller.ApiRequests);
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(sb.ToString());
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static void Metric(StringBuilder sb, string name, string type, string help, long value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n')
          .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
