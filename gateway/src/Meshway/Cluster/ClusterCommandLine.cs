using System.Net;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Setup;
using Microsoft.Extensions.Logging;

namespace Meshway.Cluster;

/// <summary>The options of `meshway controller` and `meshway proxy`.</summary>
internal sealed record ClusterCommand(
    string Command,
    string? Kubeconfig,
    int AdminPort,
    LogLevel LogLevel,
    string? GatewayNamespace = null,
    string? GatewayName = null,
    string BindAddress = "0.0.0.0",
    string? ProxyImage = null,
    MeshIdentityOptions? Mesh = null);

/// <summary>
/// Parses the Kubernetes-mode subcommands, with the same conventions as <see cref="Cli.CommandLine"/>
/// (--name value or --name=value; any mistake is a usage error, exit code 2).
/// </summary>
internal static class ClusterCommandLine
{
    public const string Usage = """
          meshway controller [--kubeconfig FILE] [--admin-port N] [--proxy-image IMAGE] [--log-level LEVEL]
              Kubernetes: accept GatewayClasses of meshway.dev/gateway-controller, provision a proxy per Gateway,
              write status (leader-elected). Without --kubeconfig: in-cluster config, else $KUBECONFIG or ~/.kube/config.
          meshway proxy --gateway NS/NAME [--kubeconfig FILE] [--admin-port N] [--bind ADDRESS] [--log-level LEVEL]
                  [--ca-address HOST:PORT] [--token-file FILE] [--ca-root FILE] [--cluster-id ID] [--trust-domain TD]
                  [--mesh-cert-dir DIR]
              Kubernetes: serve one Gateway, watching its routes and backends through the API server. A Gateway of a
              class of meshway.dev/waypoint-controller is served as an ambient waypoint (HBONE on 15008) with the mesh
              identity from the Istio CA (--ca-address, --token-file, --ca-root, as `meshway identity fetch`) or from
              cert-chain.pem, key.pem, root-cert.pem in --mesh-cert-dir.
        """;

    public static bool Handles(IReadOnlyList<string> args) => args.Count > 0 && args[0] is "controller" or "proxy";

    public static ClusterCommand? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var command = args[0];
        string? kubeconfig = null, gateway = null, image = null;
        string? caAddress = null, tokenFile = null, caRoot = null, clusterId = null, trustDomain = null, certDir = null;
        var adminPort = 15000;
        var bind = "0.0.0.0";
        var level = LogLevel.Information;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=');
            var name = arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? arg[..eq] : arg;
            string? value = name.Length < arg.Length ? arg[(eq + 1)..] : null;
            var allowed = name is "--kubeconfig" or "--admin-port" or "--log-level"
                || (command == "proxy" && name is "--gateway" or "--bind"
                    or "--ca-address" or "--token-file" or "--ca-root" or "--cluster-id" or "--trust-domain" or "--mesh-cert-dir")
                || (command == "controller" && name is "--proxy-image");
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
                case "--kubeconfig":
                    kubeconfig = value;
                    break;
                case "--gateway":
                    gateway = value;
                    break;
                case "--proxy-image":
                    image = value;
                    break;
                case "--ca-address":
                    caAddress = value;
                    break;
                case "--token-file":
                    tokenFile = value;
                    break;
                case "--ca-root":
                    caRoot = value;
                    break;
                case "--cluster-id":
                    clusterId = value;
                    break;
                case "--trust-domain":
                    if (!SpiffeId.IsValidTrustDomain(value))
                    {
                        error = "--trust-domain must be a trust domain (like cluster.local), got '" + value + "'";
                        return null;
                    }

                    trustDomain = value;
                    break;
                case "--mesh-cert-dir":
                    certDir = value;
                    break;
                case "--admin-port":
                    if (!int.TryParse(value, out adminPort) || adminPort is < 1 or > 65535)
                    {
                        error = "--admin-port must be a port number (1-65535), got '" + value + "'";
                        return null;
                    }

                    break;
                case "--bind":
                    if (!IPAddress.TryParse(value, out _))
                    {
                        error = "--bind must be an IP address, got '" + value + "'";
                        return null;
                    }

                    bind = value;
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

        string? gatewayNamespace = null, gatewayName = null;
        if (command == "proxy")
        {
            var slash = gateway?.IndexOf('/') ?? -1;
            if (gateway is null || slash <= 0 || slash == gateway.Length - 1 || gateway.IndexOf('/', slash + 1) >= 0)
            {
                error = gateway is null ? "proxy needs --gateway NS/NAME" : "--gateway must be NS/NAME, got '" + gateway + "'";
                return null;
            }

            gatewayNamespace = gateway[..slash];
            gatewayName = gateway[(slash + 1)..];
        }

        MeshIdentityOptions? mesh = null;
        var fromCa = caAddress is not null || tokenFile is not null || caRoot is not null || clusterId is not null;
        if (fromCa && certDir is not null)
        {
            error = "use either the Istio CA (--ca-address, --token-file, --ca-root, --cluster-id) or --mesh-cert-dir, not both";
            return null;
        }

        if (trustDomain is not null && !fromCa && certDir is null)
        {
            error = "--trust-domain needs a mesh identity (--ca-address ... or --mesh-cert-dir DIR)";
            return null;
        }

        if (fromCa || certDir is not null)
        {
            // Defaults as in `meshway identity fetch` (and as the waypoint Deployment mounts them).
            var defaults = new MeshIdentityOptions();
            mesh = new MeshIdentityOptions
            {
                Mode = certDir is not null ? MeshCertificateMode.CertDirectory : MeshCertificateMode.IstioCa,
                CertDirectory = certDir,
                CaAddress = caAddress,
                TokenFile = tokenFile ?? defaults.TokenFile,
                RootFile = caRoot ?? defaults.RootFile,
                ClusterId = clusterId ?? defaults.ClusterId,
                TrustDomain = trustDomain ?? defaults.TrustDomain,
            };
        }

        return new ClusterCommand(command, kubeconfig, adminPort, level, gatewayNamespace, gatewayName, bind, image, mesh);
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
