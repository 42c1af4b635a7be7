using System.Runtime.InteropServices;
using Meshway.Admin;
using Meshway.Config;
using Meshway.Controller;
using Meshway.Controller.Provisioning;
using Meshway.Controller.Watching;
using Meshway.DataPlane;
using Meshway.Kubernetes.Client;
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
        await using var host = DataPlaneHost.Create(loggers);
        var options = new TranslationOptions { DefaultBindAddress = command.BindAddress };
        var translationCache = new TranslationCache(); // the applier translates serially, as the cache needs
        var applier = new ConfigApplier(host, set => Translator.Translate(set, options, translationCache), loggers.CreateLogger("meshway.config"));
        AdminServer admin;
        try
        {
            admin = await AdminServer.StartAsync(command.AdminPort, host, applier, loggers, shutdown);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            LogAdminFailed(loggers.CreateLogger("meshway"), command.AdminPort, ex.Message);
            return 1;
        }

        await using (admin)
        {
            // While the API server is unreachable no apply happens, so the last good snapshot keeps serving.
            await using var watch = new ClusterWatch(
                client,
                ProxyWatch.Specs(ns, name),
                (objects, ct) => applier.ApplyAsync(ProxyWatch.Scope(objects, ns, name), ct),
                loggers);
            watch.Start(shutdown);
            await WaitForShutdownAsync(shutdown);
        }

        return 0;
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

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Shutting down")]
    private static partial void LogStopping(ILogger logger);
}
