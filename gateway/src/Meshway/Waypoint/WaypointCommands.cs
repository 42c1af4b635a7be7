using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Waypoint;

/// <summary>
/// <c>meshway waypoint apply|list|delete|status</c>, shaped after <c>istioctl waypoint</c> (same verbs, -n,
/// --name, --for, --enroll-namespace, --overwrite) for standalone mode: the waypoint is a manifest file in the
/// --config directory that <c>meshway run</c> watches, so these commands write and remove files
/// (<c>waypoint-NS-NAME.yaml</c>), and status asks the running process's admin API.
/// </summary>
internal static partial class WaypointCommands
{
    public const string ClassName = "meshway-waypoint";
    public const string ControllerName = "meshway.dev/waypoint-controller";

    public const string Usage = """
        Usage:
          meshway waypoint apply  --config DIR [--name NAME] [-n NS] [--for service|workload|all|none]
                                  [--enroll-namespace] [--overwrite]
              Write the waypoint Gateway (class meshway-waypoint, listener mesh/15008/HBONE) to DIR; with
              --enroll-namespace also label namespace NS istio.io/use-waypoint=NAME (--overwrite replaces
              another waypoint already named there).
          meshway waypoint list   --config DIR [-n NS | -A]
              The waypoint Gateways in DIR.
          meshway waypoint delete --config DIR [NAME...] [-n NS] [--all]
              Remove waypoints this command wrote (default name: waypoint).
          meshway waypoint status [--name NAME] [-n NS] [--admin-port N]
              The waypoint's status conditions and addresses from the running meshway's admin API.
        Kubernetes mode: --kubeconfig FILE instead of --config DIR (and --admin-port) makes each verb talk to
        the API server: apply creates/updates the Gateway (and labels the Namespace with --enroll-namespace),
        list and delete act on Gateways of class meshway-waypoint, status shows the Gateway's status.
        Defaults: --name waypoint, -n default, --for service, --admin-port 15000.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
        {
            await (args.Count == 0 ? stderr : stdout).WriteLineAsync(Usage);
            return args.Count == 0 ? 2 : 0;
        }

        var options = Parse(args.Skip(1).ToList(), out var error);
        if (options is null)
        {
            await stderr.WriteLineAsync("meshway waypoint: " + error + "\n\n" + Usage);
            return 2;
        }

        try
        {
            if (options.Kubeconfig is not null && args[0] is "apply" or "list" or "delete" or "status")
            {
                return await KubernetesAsync(args[0], options, stdout, stderr);
            }

            return args[0] switch
            {
                "apply" => await ApplyAsync(options, stdout, stderr),
                "list" => await ListAsync(options, stdout, stderr),
                "delete" => await DeleteAsync(options, stdout, stderr),
                "status" => await StatusAsync(options, stdout, stderr),
                _ => await UsageErrorAsync(stderr, "unknown subcommand '" + args[0] + "'"),
            };
        }
        catch (IOException ex)
        {
            await stderr.WriteLineAsync("meshway waypoint: " + ex.Message);
            return 1;
        }
    }

    private sealed record Options(
        string Name, string Namespace, string For, bool Enroll, bool Overwrite, string? Config, bool AllNamespaces, bool All,
        int AdminPort, List<string> Names, bool NameGiven)
    {
        /// <summary>Kubernetes mode: talk to this cluster's API server instead of writing files.</summary>
        public string? Kubeconfig { get; init; }
    }

    private static Options? Parse(List<string> args, out string? error)
    {
        error = null;
        string name = "waypoint", ns = "default", forValue = "service";
        string? config = null, kubeconfig = null;
        bool enroll = false, overwrite = false, allNamespaces = false, all = false, nameGiven = false;
        var adminPort = 15000;
        var names = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? Value()
            {
                if (i + 1 >= args.Count)
                {
                    return null;
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--name":
                    name = Value() ?? "";
                    nameGiven = true;
                    break;
                case "-n" or "--namespace":
                    ns = Value() ?? "";
                    break;
                case "--for":
                    forValue = Value() ?? "";
                    if (forValue is not ("service" or "workload" or "all" or "none"))
                    {
                        error = "--for must be service, workload, all or none, got '" + forValue + "'";
                        return null;
                    }

                    break;
                case "--config":
                    config = Value();
                    break;
                case "--kubeconfig":
                    kubeconfig = Value() ?? "";
                    break;
                case "--admin-port":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out adminPort) || adminPort is < 1 or > 65535)
                    {
                        error = "--admin-port needs a port number";
                        return null;
                    }

                    break;
                case "--enroll-namespace":
                    enroll = true;
                    break;
                case "--overwrite":
                    overwrite = true;
                    break;
                case "-A" or "--all-namespaces":
                    allNamespaces = true;
                    break;
                case "--all":
                    all = true;
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        error = "unknown option '" + arg + "'";
                        return null;
                    }

                    names.Add(arg);
                    break;
            }
        }

        foreach (var value in names.Append(name).Append(ns))
        {
            if (!IsDnsLabel(value))
            {
                error = "'" + value + "' is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63)";
                return null;
            }
        }

        return new Options(name, ns, forValue, enroll, overwrite, config, allNamespaces, all, adminPort, names, nameGiven) { Kubeconfig = kubeconfig };
    }

    private static async Task<int> ApplyAsync(Options o, TextWriter stdout, TextWriter stderr)
    {
        if (RequireConfig(o) is { } dir)
        {
            var path = FileOf(dir, o.Namespace, o.Name);
            var others = Load(dir).Where(x => x.File != path).ToList();
            if (others.Any(x => x.Object is Gateway g && g.Namespace == o.Namespace && g.Name == o.Name))
            {
                await stderr.WriteLineAsync($"meshway waypoint: Gateway {o.Namespace}/{o.Name} is defined in another file of {dir}; edit it there");
                return 1;
            }

            var enrolled = o.Enroll ? ExistingEnrollment(path, o.Namespace) : null;
            if (o.Enroll)
            {
                if (others.Any(x => x.Object is KubeNamespace n && n.Name == o.Namespace && !IsOurs(x.File)))
                {
                    await stderr.WriteLineAsync($"meshway waypoint: namespace {o.Namespace} is defined in another file of {dir}; add the label istio.io/use-waypoint: {o.Name} there");
                    return 1;
                }

                if (enrolled is not null && enrolled != o.Name && !o.Overwrite)
                {
                    await stderr.WriteLineAsync($"meshway waypoint: namespace {o.Namespace} already uses waypoint {enrolled}; use --overwrite to replace it");
                    return 1;
                }
            }

            if (o.Enroll && enrolled is not null && enrolled != o.Name)
            {
                // --overwrite: the other waypoint's file keeps its Gateway but no longer enrolls the namespace.
                var previous = Load(dir).Select(x => x.Object).OfType<Gateway>().FirstOrDefault(g => g.Namespace == o.Namespace && g.Name == enrolled);
                if (previous is not null && File.Exists(FileOf(dir, o.Namespace, enrolled)))
                {
                    var previousFor = previous.Metadata.Labels?.GetValueOrDefault("istio.io/waypoint-for") ?? "service";
                    await WriteAtomicallyAsync(FileOf(dir, o.Namespace, enrolled), Manifest(o with { Name = enrolled, For = previousFor }, enroll: false));
                }
            }

            // A namespace enrolled earlier stays enrolled when apply runs again without --enroll-namespace.
            var keepEnrollment = o.Enroll || ExistingEnrollment(path, o.Namespace) == o.Name;
            if (!Load(dir).Any(x => x.Object is GatewayClass c && c.Name == ClassName))
            {
                // The class in a file of its own: deleting one waypoint must not take the class from the others.
                await WriteAtomicallyAsync(Path.Combine(dir, ClassName + "-class.yaml"), $"""
                    # Written by 'meshway waypoint apply': the class of waypoint Gateways.
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: GatewayClass
                    metadata: {"{"}name: {ClassName}{"}"}
                    spec: {"{"}controllerName: {ControllerName}{"}"}

                    """);
            }

            await WriteAtomicallyAsync(path, Manifest(o, keepEnrollment));
            await stdout.WriteLineAsync($"waypoint {o.Namespace}/{o.Name} applied ({Path.GetFileName(path)})");
            if (o.Enroll)
            {
                await stdout.WriteLineAsync($"namespace {o.Namespace} labelled istio.io/use-waypoint={o.Name}");
            }

            return 0;
        }

        return await UsageErrorAsync(stderr, "--config DIR is required (Kubernetes mode is not available in this command yet)");
    }

    private static async Task<int> ListAsync(Options o, TextWriter stdout, TextWriter stderr)
    {
        if (RequireConfig(o) is not { } dir)
        {
            return await UsageErrorAsync(stderr, "--config DIR is required");
        }

        var classes = Load(dir).Select(x => x.Object).OfType<GatewayClass>()
            .Where(c => c.Spec.ControllerName == ControllerName).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var rows = Load(dir)
            .Where(x => x.Object is Gateway g && g.Spec.GatewayClassName is { } c && (classes.Contains(c) || c == ClassName)
                && (o.AllNamespaces || g.Namespace == o.Namespace))
            .Select(x => (Gateway: (Gateway)x.Object, x.File))
            .OrderBy(x => x.Gateway.Namespace, StringComparer.Ordinal).ThenBy(x => x.Gateway.Name, StringComparer.Ordinal)
            .ToList();
        if (rows.Count == 0)
        {
            await stdout.WriteLineAsync(o.AllNamespaces ? "No waypoints found." : $"No waypoints found in namespace {o.Namespace}.");
            return 0;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"NAMESPACE",-20} {"NAME",-24} {"FOR",-9} FILE\n");
        foreach (var (gateway, file) in rows)
        {
            var traffic = gateway.Metadata.Labels?.GetValueOrDefault("istio.io/waypoint-for") ?? "service";
            text.Append(CultureInfo.InvariantCulture, $"{gateway.Namespace,-20} {gateway.Name,-24} {traffic,-9} {Path.GetFileName(file)}\n");
        }

        await stdout.WriteAsync(text.ToString());
        return 0;
    }

    private static async Task<int> DeleteAsync(Options o, TextWriter stdout, TextWriter stderr)
    {
        if (RequireConfig(o) is not { } dir)
        {
            return await UsageErrorAsync(stderr, "--config DIR is required");
        }

        var files = o.All
            ? Directory.GetFiles(dir, "waypoint-" + o.Namespace + "-*.yaml").ToList()
            : (o.Names.Count > 0 ? o.Names : [o.Name]).Select(n => FileOf(dir, o.Namespace, n)).ToList();
        var failed = false;
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                await stderr.WriteLineAsync($"meshway waypoint: no waypoint file {Path.GetFileName(file)} in {dir} (only waypoints written by 'meshway waypoint apply' can be deleted)");
                failed = true;
                continue;
            }

            File.Delete(file);
            await stdout.WriteLineAsync($"waypoint {Path.GetFileNameWithoutExtension(file)["waypoint-".Length..]} deleted");
        }

        return failed ? 1 : 0;
    }

    private static async Task<int> StatusAsync(Options o, TextWriter stdout, TextWriter stderr)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string json;
        try
        {
            json = await http.GetStringAsync($"http://127.0.0.1:{o.AdminPort}/status");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"meshway waypoint: no meshway admin API on 127.0.0.1:{o.AdminPort}: {ex.Message}");
            return 1;
        }

        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("kind").GetString() != "Gateway"
                || !item.TryGetProperty("metadata", out var metadata)
                || !metadata.TryGetProperty("name", out var itemName) || itemName.GetString() != o.Name
                || !metadata.TryGetProperty("namespace", out var itemNamespace) || itemNamespace.GetString() != o.Namespace)
            {
                continue;
            }

            var status = item.GetProperty("status");
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"waypoint {o.Namespace}/{o.Name}\n");
            foreach (var condition in status.GetProperty("conditions").EnumerateArray())
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"  {Text(condition, "type"),-12} {Text(condition, "status"),-6} {Text(condition, "reason")}: {Text(condition, "message")}\n");
            }

            if (status.TryGetProperty("addresses", out var addresses))
            {
                text.Append("  addresses: ").Append(string.Join(", ", addresses.EnumerateArray().Select(a => a.GetProperty("value").GetString()))).Append('\n');
            }

            await stdout.WriteAsync(text.ToString());
            return 0;
        }

        await stderr.WriteLineAsync($"meshway waypoint: the running meshway reports no waypoint {o.Namespace}/{o.Name}");
        return 1;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static string Manifest(Options o, bool enroll)
    {
        var text = new StringBuilder();
        text.Append("# Written by 'meshway waypoint apply'; 'meshway waypoint delete' removes it.\n");
        text.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: {o.Name}
              namespace: {o.Namespace}
              labels: {"{"}istio.io/waypoint-for: {o.For}{"}"}
            spec:
              gatewayClassName: {ClassName}
              listeners:
              - {"{"}name: mesh, port: 15008, protocol: HBONE{"}"}

            """);
        if (enroll)
        {
            text.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: {o.Namespace}
                  labels: {"{"}istio.io/use-waypoint: {o.Name}{"}"}

                """);
        }

        return text.ToString();
    }

    /// <summary>The waypoint named on a Namespace object in one of our files, if any (for --overwrite).</summary>
    private static string? ExistingEnrollment(string ownPath, string ns)
    {
        var dir = Path.GetDirectoryName(ownPath)!;
        foreach (var (obj, file) in Load(dir))
        {
            if (obj is KubeNamespace n && n.Name == ns && Path.GetFileName(file).StartsWith("waypoint-", StringComparison.Ordinal)
                && n.Metadata.Labels?.GetValueOrDefault("istio.io/use-waypoint") is { } name)
            {
                return name;
            }
        }

        return null;
    }

    private static bool IsOurs(string file) => Path.GetFileName(file).StartsWith("waypoint-", StringComparison.Ordinal);

    private static List<(KubeObject Object, string File)> Load(string dir)
    {
        var result = new List<(KubeObject, string)>();
        foreach (var file in Directory.GetFiles(dir).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var parsed = ManifestLoader.Parse(Path.GetFileName(file), File.ReadAllText(file));
            result.AddRange(parsed.Objects.Select(obj => (obj, file)));
        }

        return result;
    }

    /// <summary>Write then rename, so the config watcher never reads half a file.</summary>
    private static async Task WriteAtomicallyAsync(string path, string text)
    {
        await File.WriteAllTextAsync(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static string? RequireConfig(Options o) =>
        o.Config is { } dir && Directory.Exists(dir) ? Path.GetFullPath(dir) : null;

    private static string FileOf(string dir, string ns, string name) => Path.Combine(dir, $"waypoint-{ns}-{name}.yaml");

    private static bool IsDnsLabel(string value) =>
        value.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1])
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static async Task<int> UsageErrorAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("meshway waypoint: " + message + "\n\n" + Usage);
        return 2;
    }
}
