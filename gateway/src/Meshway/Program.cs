using System.Reflection;
using System.Runtime.InteropServices;
using Meshway.Admin;
using Meshway.Cli;
using Meshway.Config;
using Meshway.DataPlane;
using Meshway.Demo;
using Meshway.Mesh;
using Meshway.Mtls;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Setup;
using Meshway.Translation;
using Meshway.Translation.Caching;
using Microsoft.Extensions.Logging;

namespace Meshway;

/// <summary>The composition root: parses the command line and wires config source, translation, data plane and admin.</summary>
internal static partial class Program
{
    /// <summary>Where the demo's EndpointSlices point (examples/demo/30-backends.yaml).</summary>
    private static readonly (string Name, int Port)[] DemoBackends = [("echo-v1", 9081), ("echo-v2", 9082)];

    public static async Task<int> Main(string[] args)
    {
        if (Cluster.ClusterCommandLine.Handles(args))
        {
            return await Cluster.ClusterCommands.RunAsync(args);
        }

        // Operator commands that are not servers parse their own flags.
        if (args is ["waypoint", ..])
        {
            return await Meshway.Waypoint.WaypointCommands.RunAsync(args[1..], Console.Out, Console.Error);
        }

        if (args is ["identity", "fetch", ..])
        {
            return await Meshway.Mtls.Cli.IdentityFetchCommand.RunAsync(args[2..], Console.Out, Console.Error, CancellationToken.None);
        }

        var command = CommandLine.Parse(args, out var error);
        if (command is null)
        {
            await Console.Error.WriteLineAsync("meshway: " + error + "\n\n" + CommandLine.Usage);
            return CommandLine.UsageExitCode;
        }

        switch (command.Command)
        {
            case "help":
                Console.WriteLine(CommandLine.Usage);
                return 0;
            case "version":
                Console.WriteLine("meshway " + Version);
                return 0;
            case "demo":
                var demoDir = FindDemoDirectory();
                if (demoDir is null)
                {
                    await Console.Error.WriteLineAsync("meshway: the bundled example (examples/demo) was not found next to the binary");
                    return 1;
                }

                return await RunAsync(command with { ConfigDirectory = demoDir, BindAddress = "127.0.0.1" }, demo: true);
            default:
                if (!Directory.Exists(command.ConfigDirectory))
                {
                    await Console.Error.WriteLineAsync("meshway: config directory '" + command.ConfigDirectory + "' does not exist\n\n" + CommandLine.Usage);
                    return CommandLine.UsageExitCode;
                }

                return await RunAsync(command, demo: false);
        }
    }

    private static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static async Task<int> RunAsync(ParsedCommand command, bool demo)
    {
        using var loggerFactory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(command.LogLevel);
            // ASP.NET's and YARP's own chatter (YARP logs every forwarded request at Information) is only
            // useful when debugging the host itself.
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
        var logger = loggerFactory.CreateLogger("meshway");
        using var shutdown = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; shutdown.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; shutdown.Cancel(); });

        var directory = Path.GetFullPath(command.ConfigDirectory!);
        LogStarting(logger, Version, directory, command.AdminPort);

        var echoes = new List<EchoBackend>();
        if (demo)
        {
            foreach (var (name, port) in DemoBackends)
            {
                try
                {
                    echoes.Add(await EchoBackend.StartAsync(name, port, shutdown.Token));
                }
                catch (Exception ex)
                {
                    LogDemoBackendFailed(logger, name, port, ex.Message);
                }
            }
        }

        // The mesh identity (optional): waypoints serve HBONE with it, and ambient endpoints are reached over HBONE.
        MeshServing mesh;
        try
        {
            mesh = MeshServing.Create(
                command.MeshCa is null && command.MeshCertDirectory is null
                    ? null
                    : new MeshIdentityOptions
                    {
                        Mode = command.MeshCertDirectory is not null ? MeshCertificateMode.CertDirectory : MeshCertificateMode.DevCa,
                        CertDirectory = command.MeshCertDirectory,
                        Identity = command.MeshIdentity is { } id ? SpiffeId.Parse(id) : default,
                    },
                command.BindAddress,
                loggerFactory);
        }
        catch (CertificateProvisioningException ex)
        {
            LogMeshIdentityFailed(logger, ex.Message);
            return 1;
        }

        await using var meshServing = mesh;
        await using var host = DataPlaneHost.Create(loggerFactory, mesh.IngressTransport);
        mesh.Attach(host); // mesh requests on the same /metrics
        var options = new TranslationOptions { DefaultBindAddress = command.BindAddress };
        var translationCache = new TranslationCache(); // the applier translates serially, as the cache needs
        var applier = new ConfigApplier(
            host,
            // Gateways of the ingress class and waypoints of the waypoint class come from the same objects;
            // /status shows both.
            set => mesh.WithWaypoints(Translator.Translate(set, options, translationCache), set),
            loggerFactory.CreateLogger("meshway.config"));

        AdminServer admin;
        try
        {
            admin = await AdminServer.StartAsync(command.AdminPort, host, applier, loggerFactory, shutdown.Token, mesh.Status);
        }
        catch (Exception ex)
        {
            LogAdminFailed(logger, command.AdminPort, ex.Message);
            return 1;
        }

        await using (admin)
        {
            await using var source = new FileConfigSource(directory, applier.ApplyAsync, loggerFactory.CreateLogger("meshway.files"));
            await source.StartAsync(shutdown.Token);
            if (demo)
            {
                LogDemoHint(logger);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token);
            }
            catch (OperationCanceledException)
            {
            }

            LogStopping(logger);
        }

        foreach (var echo in echoes)
        {
            await echo.DisposeAsync();
        }

        return 0;
    }

    /// <summary>The demo manifests: copied next to the binary at build time; else found above it (dotnet run).</summary>
    private static string? FindDemoDirectory()
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, "examples", "demo");
        if (Directory.Exists(bundled))
        {
            return bundled;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", "demo");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "meshway {Version}: config {Directory}, admin on 127.0.0.1:{AdminPort}")]
    private static partial void LogStarting(ILogger logger, string version, string directory, int adminPort);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "Cannot start the admin server on 127.0.0.1:{Port}: {Reason}")]
    private static partial void LogAdminFailed(ILogger logger, int port, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Demo backend {Name} cannot listen on 127.0.0.1:{Port}: {Reason}")]
    private static partial void LogDemoBackendFailed(ILogger logger, string name, int port, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Demo ready. Try: curl -H 'Host: demo.example.com' http://127.0.0.1:8080/echo")]
    private static partial void LogDemoHint(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "Cannot set up the mesh identity: {Reason}")]
    private static partial void LogMeshIdentityFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Shutting down")]
    private static partial void LogStopping(ILogger logger);
}
