using Microsoft.Extensions.Logging;

namespace Meshway.Cli;

/// <summary>A parsed command line: which subcommand, and its options.</summary>
internal sealed record ParsedCommand(
    string Command, string? ConfigDirectory, int AdminPort, string BindAddress, LogLevel LogLevel,
    string? MeshCa = null, string? MeshCertDirectory = null, string? MeshIdentity = null);

/// <summary>
/// A small hand-written parser: three subcommands and four options do not justify a dependency, and it keeps
/// the exact contract the launcher and tests rely on (usage on stderr and exit code 2 for any mistake).
/// </summary>
internal static class CommandLine
{
    public const int UsageExitCode = 2;

    public const string Usage = """
        Usage:
          meshway run --config DIR [--admin-port N] [--bind ADDRESS] [--log-level LEVEL]
                  [--mesh-ca dev | --mesh-cert-dir DIR] [--mesh-identity SPIFFE_ID]
              Serve the Gateway API manifests (*.yaml, *.yml) in DIR; watch DIR and apply edits live.
              With a mesh identity, waypoint Gateways (class meshway-waypoint) serve HBONE on 15008
              and endpoints of ambient pods are reached over HBONE.
          meshway demo [--admin-port N] [--log-level LEVEL]
              Serve the bundled example (examples/demo) with its two echo backends on 127.0.0.1:9081/9082.
          meshway identity fetch --ca-address HOST:PORT --ca-root FILE --token-file FILE
                  [--cluster-id ID] [--trust-domain TD] [--out DIR]
              One certificate signing round trip with the mesh CA (istiod); prints the SPIFFE ID,
              serial, validity and chain length and writes cert-chain.pem, key.pem, root-cert.pem.
          meshway waypoint apply|list|delete|status ...
              Manage waypoint Gateways in a --config directory, like istioctl waypoint (meshway waypoint help).
          meshway version
              Print the version.
          meshway controller [--kubeconfig FILE] [--admin-port N] [--proxy-image IMAGE] [--log-level LEVEL]
              Kubernetes: accept our GatewayClasses, provision a proxy per Gateway, write status (leader-elected).
          meshway proxy --gateway NS/NAME [--kubeconfig FILE] [--admin-port N] [--bind ADDRESS] [--log-level LEVEL]
              Kubernetes: serve one Gateway, watching its routes and backends through the API server.

        Options:
          --config DIR        directory of manifests (run only)
          --admin-port N      admin server on 127.0.0.1:N (default 15000): /ready /status /config_dump /metrics
          --bind ADDRESS      listener address for Gateways without spec.addresses (default 0.0.0.0)
          --log-level LEVEL   trace, debug, info, warning, error (default info)
          --mesh-ca dev       mesh identity from an in-process dev CA (standalone and tests only)
          --mesh-cert-dir DIR mesh identity from cert-chain.pem, key.pem, root-cert.pem in DIR
          --mesh-identity ID  the SPIFFE ID to request from the dev CA (default spiffe://cluster.local/ns/default/sa/meshway)
        """;

    /// <summary>Parses <paramref name="args"/>; on failure returns null and sets <paramref name="error"/>.</summary>
    public static ParsedCommand? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        if (args.Count == 0)
        {
            error = "missing command";
            return null;
        }

        var command = args[0];
        if (command is "help" or "--help" or "-h")
        {
            return new ParsedCommand("help", null, 15000, "0.0.0.0", LogLevel.Information);
        }

        if (command is "--version")
        {
            command = "version";
        }

        if (command is not ("run" or "demo" or "version"))
        {
            error = "unknown command '" + command + "'";
            return null;
        }

        string? config = null;
        var adminPort = 15000;
        var bind = "0.0.0.0";
        var level = LogLevel.Information;
        string? meshCa = null;
        string? meshCertDir = null;
        string? meshIdentity = null;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? value = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            var allowed = command switch
            {
                "run" => name is "--config" or "--admin-port" or "--bind" or "--log-level" or "--mesh-ca" or "--mesh-cert-dir" or "--mesh-identity",
                "demo" => name is "--admin-port" or "--log-level",
                _ => false,
            };
            if (!allowed)
            {
                error = "unknown option '" + name + "' for '" + command + "'";
                return null;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error = "option " + name + " needs a value";
                    return null;
                }

                value = args[++i];
            }

            switch (name)
            {
                case "--config":
                    config = value;
                    break;
                case "--admin-port":
                    if (!int.TryParse(value, out adminPort) || adminPort is < 1 or > 65535)
                    {
                        error = "--admin-port must be a port number (1-65535), got '" + value + "'";
                        return null;
                    }

                    break;
                case "--bind":
                    if (!System.Net.IPAddress.TryParse(value, out _))
                    {
                        error = "--bind must be an IP address, got '" + value + "'";
                        return null;
                    }

                    bind = value;
                    break;
                case "--mesh-ca":
                    if (value != "dev")
                    {
                        error = "--mesh-ca supports only 'dev' here (use --mesh-cert-dir for certificates from istiod), got '" + value + "'";
                        return null;
                    }

                    meshCa = value;
                    break;
                case "--mesh-cert-dir":
                    meshCertDir = value;
                    break;
                case "--mesh-identity":
                    if (!Meshway.Mtls.Identity.SpiffeId.TryParse(value, out _, out var idError))
                    {
                        error = "--mesh-identity: " + idError;
                        return null;
                    }

                    meshIdentity = value;
                    break;
                case "--log-level":
                    if (ParseLevel(value) is not { } parsed)
                    {
                        error = "--log-level must be one of trace, debug, info, warning, error, critical, none; got '" + value + "'";
                        return null;
                    }

                    level = parsed;
                    break;
            }
        }

        if (command == "run" && string.IsNullOrEmpty(config))
        {
            error = "run needs --config DIR";
            return null;
        }

        if (meshCa is not null && meshCertDir is not null)
        {
            error = "use either --mesh-ca dev or --mesh-cert-dir DIR, not both";
            return null;
        }

        return new ParsedCommand(command, config, adminPort, bind, level, meshCa, meshCertDir, meshIdentity);
    }

    private static LogLevel? ParseLevel(string value) => value.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => null,
    };
}
