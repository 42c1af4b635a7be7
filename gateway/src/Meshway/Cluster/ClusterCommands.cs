using System.Runtime.InteropServices;
using Meshway.Admin;
using Meshway.Config;
using Meshway.Controller;
using Meshway.Controller.Provisioning;
using Meshway.Controller.Watching;
using Meshway.DataPlane;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;
using Meshway.Mesh;
using Meshway.Translation;
using Meshway.Translation.Caching;
using Microsoft.Extensions.Logging;

namespace Meshway.Cluster;

/// <summary>
/// `meshway controller` and `meshway proxy`: the Kubernetes config source (informers -> one coalescing worker)
/// in front of the same pieces standalone mode uses. The proxy feeds the ConfigApplier, DataPlaneHost and
/// AdminServer of `meshway run`; the controller writes to the API server instead of serving traffic.
/// </summary>
internal static partial class ClusterCommands
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var command = ClusterCommandLine.Parse(args, out var error);
        if (command is null)
        {
            await Console.Error.WriteLineAsync("meshway: " + error + "\n\nUsage:\n" + ClusterCommandLine.Usage);
            return Cli.CommandLine.UsageExitCode;
        }

        using var loggers = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(command.LogLevel);
            var frameworkLevel = command.LogLevel <= LogLevel.Debug ? command.LogLevel : LogLevel.Warning;
            logging.AddFilter("Microsoft", frameworkLevel);
            logging.AddFilter("Yarp", frameworkLevel);
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        });
        var logger = loggers.CreateLogger("meshway");
        KubeClientConfig config;
        try
        {
            config = ClusterConnection.Resolve(command.Kubeconfig);
        }
        catch (KubeConfigException ex)
        {
            LogConfigFailed(logger, ex.Message);
            return 1;
        }

        using var shutdown = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; shutdown.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; shutdown.Cancel(); });
        using var client = new KubeApiClient(config);
        LogConnecting(logger, command.Command, config.Server.ToString(), command.AdminPort);
        try
        {
            return command.Command == "controller"
                ? await RunControllerAsync(command, client, loggers, shutdown.Token)
                : await RunProxyAsync(command, client, loggers, shutdown.Token);
        }
        finally
        {
            LogStopping(logger);
        }
    }

    private static async Task<int> RunControllerAsync(ClusterCommand command, KubeApiClient client, ILoggerFactory loggers, CancellationToken shutdown)
    {
        var options = new ControllerOptions
        {
            // In a pod the Downward API gives the Lease a readable holder and puts it next to the controller.
            Identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : Environment.MachineName + "-" + Environment.ProcessId,
            LeaseNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns ? ns : client.Config.Namespace,
            Provisioning = new ProvisioningOptions
            {
                ProxyImage = command.ProxyImage
                    ?? (Environment.GetEnvironmentVariable("MESHWAY_PROXY_IMAGE") is { Length: > 0 } image ? image : new ProvisioningOptions().ProxyImage),
            },
        };
        await using var controller = new GatewayController(client, options, loggers);
        Microsoft.AspNetCore.Builder.WebApplication admin;
        try
        {
            admin = await ControllerAdmin.StartAsync(command.AdminPort, controller, loggers, shutdown);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            LogAdminFailed(loggers.CreateLogger("meshway"), command.AdminPort, ex.Message);
            return 1;
        }

        await using (admin)
        {
            controller.Start(shutdown);
            await WaitForShutdownAsync(shutdown);
            await admin.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static async Task<int> RunProxyAsync(ClusterCommand command, KubeApiClient client, ILoggerFactory loggers, CancellationToken shutdown)
    {
        var ns = command.GatewayNamespace!;
        var name = command.GatewayName!;
        var logger = loggers.CreateLogger("meshway");

        // The same mesh parts as `meshway run`: a waypoint Gateway is served by the one WaypointRuntime.
        MeshServing mesh;
        try
        {
            mesh = MeshServing.Create(command.Mesh, command.BindAddress, loggers);
        }
        catch (Mtls.CertificateProvisioningException ex)
        {
            LogMeshIdentityFailed(logger, ex.Message);
            return 1;
        }

        await using var meshServing = mesh;
        await using var host = DataPlaneHost.Create(loggers, mesh.IngressTransport);
        mesh.Attach(host);
        var options = new TranslationOptions { DefaultBindAddress = command.BindAddress };
        var translationCache = new TranslationCache(); // the applier translates serially, as the cache needs
        var role = new ProxyRole();
        var applier = new ConfigApplier(
            host,
            set =>
            {
                var result = Translator.Translate(set, options, translationCache);
                return role.Waypoint ? mesh.WithWaypoints(result, set) : result;
            },
            loggers.CreateLogger("meshway.config"));
        AdminServer admin;
        try
        {
            admin = await AdminServer.StartAsync(command.AdminPort, host, applier, loggers, shutdown, mesh.Status);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            LogAdminFailed(logger, command.AdminPort, ex.Message);
            return 1;
        }

        await using (admin)
        {
            // While the API server is unreachable no apply happens, so the last good snapshot keeps serving.
            ClusterWatch? watch = null;
            watch = new ClusterWatch(
                client,
                ProxyWatch.Specs(ns, name),
                async (objects, ct) =>
                {
                    if (role.Pods is null && WaypointWatch.IsWaypoint(objects, ns, name))
                    {
                        // Only now is it known that this proxy is a waypoint: start watching Pods too, and apply
                        // once they are listed, so the first waypoint snapshot already knows which pods are ambient.
                        LogWaypointRole(logger, ns, name, command.Mesh is null ? "none (no --ca-address or --mesh-cert-dir)" : command.Mesh.Mode.ToString());
                        role.Pods = new ClusterWatch(client, WaypointWatch.Specs(), (_, _) =>
                        {
                            watch!.Trigger();
                            return Task.CompletedTask;
                        }, loggers);
                        role.Pods.Start(shutdown);
                        await role.Pods.Synced.WaitAsync(ct);
                        role.Waypoint = true;
                    }

                    IReadOnlyList<KubeObject> world = role.Pods is null ? objects : [.. objects, .. role.Pods.Snapshot()];
                    await applier.ApplyAsync(ProxyWatch.Scope(world, ns, name), ct);
                },
                loggers);
            try
            {
                watch.Start(shutdown);
                await WaitForShutdownAsync(shutdown);
            }
            finally
            {
                await watch.DisposeAsync();
                if (role.Pods is not null)
                {
                    await role.Pods.DisposeAsync();
                }
            }
        }

        return 0;
    }

    /// <summary>What the watch worker learned about the proxy's Gateway; written and read on the worker's apply path.</summary>
    private sealed class ProxyRole
    {
        public volatile bool Waypoint;

        public ClusterWatch? Pods;
    }

    private static async Task WaitForShutdownAsync(CancellationToken shutdown)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, shutdown);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Critical, Message = "Cannot configure the cluster connection: {Reason}")]
    private static partial void LogConfigFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "meshway {Role}: API server {Server}, admin on 127.0.0.1:{AdminPort}")]
    private static partial void LogConnecting(ILogger logger, string role, string server, int adminPort);

    [LoggerMessage(EventId = 32, Level = LogLevel.Critical, Message = "Cannot start the admin server on 127.0.0.1:{Port}: {Reason}")]
    private static partial void LogAdminFailed(ILogger logger, int port, string reason);

    [LoggerMessage(EventId = 34, Level = LogLevel.Critical, Message = "Cannot set up the mesh identity: {Reason}")]
    private static partial void LogMeshIdentityFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 35, Level = LogLevel.Information, Message = "Gateway {Namespace}/{Name} is a waypoint: watching Pods too, serving HBONE; mesh identity: {Identity}")]
    private static partial void LogWaypointRole(ILogger logger, string @namespace, string name, string identity);

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Shutting down")]
    private static partial void LogStopping(ILogger logger);
}
