using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.Cluster;
using Meshway.Kubernetes.Client;

namespace Meshway.Waypoint;

/// <summary>
/// Kubernetes mode of <c>meshway waypoint</c> (--kubeconfig FILE): the same verbs as istioctl waypoint, acting on
/// the API server: the Gateway of class meshway-waypoint is the waypoint, the controller provisions it, and its
/// status conditions are what status prints.
/// </summary>
internal static partial class WaypointCommands
{
    private const string Gw = "gateway.networking.k8s.io/v1";
    private const string UseWaypointLabel = "istio.io/use-waypoint";
    private const string WaypointForLabel = "istio.io/waypoint-for";

    private static async Task<int> KubernetesAsync(string verb, Options o, TextWriter stdout, TextWriter stderr)
    {
        KubeClientConfig config;
        try
        {
            config = ClusterConnection.Resolve(o.Kubeconfig);
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException)
        {
            await stderr.WriteLineAsync("meshway waypoint: " + ex.Message);
            return 1;
        }

        using var client = new KubeApiClient(config);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            return verb switch
            {
                "apply" => await KubeApplyAsync(client, o, stdout, stderr, timeout.Token),
                "list" => await KubeListAsync(client, o, stdout, timeout.Token),
                "delete" => await KubeDeleteAsync(client, o, stdout, stderr, timeout.Token),
                _ => await KubeStatusAsync(client, o, stdout, stderr, timeout.Token),
            };
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or OperationCanceledException)
        {
            await stderr.WriteLineAsync("meshway waypoint: the API server refused or did not answer: " + ex.Message);
            return 1;
        }
    }

    private static async Task<int> KubeApplyAsync(KubeApiClient client, Options o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        JsonObject? ns = null;
        if (o.Enroll)
        {
            ns = await client.GetAsync(ResourceKind.Namespaces, null, o.Namespace, ct);
            var enrolled = ns?["metadata"]?["labels"]?[UseWaypointLabel]?.GetValue<string>();
            if (enrolled is not null && enrolled != o.Name && !o.Overwrite)
            {
                await stderr.WriteLineAsync($"meshway waypoint: namespace {o.Namespace} already uses waypoint {enrolled}; use --overwrite to replace it");
                return 1;
            }
        }

        if (await client.GetAsync(ResourceKind.GatewayClasses, null, ClassName, ct) is null)
        {
            await client.CreateAsync(ResourceKind.GatewayClasses, null, new JsonObject
            {
                ["apiVersion"] = Gw,
                ["kind"] = "GatewayClass",
                ["metadata"] = new JsonObject { ["name"] = ClassName },
                ["spec"] = new JsonObject { ["controllerName"] = ControllerName },
            }, ct);
        }

        var desired = new JsonObject
        {
            ["apiVersion"] = Gw,
            ["kind"] = "Gateway",
            ["metadata"] = new JsonObject
            {
                ["name"] = o.Name,
                ["namespace"] = o.Namespace,
                ["labels"] = new JsonObject { [WaypointForLabel] = o.For },
            },
            ["spec"] = new JsonObject
            {
                ["gatewayClassName"] = ClassName,
                ["listeners"] = new JsonArray { new JsonObject { ["name"] = "mesh", ["port"] = 15008, ["protocol"] = "HBONE" } },
            },
        };
        var live = await client.GetAsync(ResourceKind.Gateways, o.Namespace, o.Name, ct);
        if (live is null)
        {
            await client.CreateAsync(ResourceKind.Gateways, o.Namespace, desired, ct);
        }
        else
        {
            // Keep what others put on the Gateway (labels, annotations, status); ours are the class, listener and waypoint-for.
            var labels = live["metadata"]!["labels"] as JsonObject ?? [];
            labels[WaypointForLabel] = o.For;
            live["metadata"]!["labels"] = labels.DeepClone();
            live["spec"] = desired["spec"]!.DeepClone();
            await client.ReplaceAsync(ResourceKind.Gateways, o.Namespace, o.Name, live, ct);
        }

        await stdout.WriteLineAsync($"waypoint {o.Namespace}/{o.Name} applied");
        if (o.Enroll)
        {
            if (ns is null)
            {
                await client.CreateAsync(ResourceKind.Namespaces, null, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new JsonObject { ["name"] = o.Namespace, ["labels"] = new JsonObject { [UseWaypointLabel] = o.Name } },
                }, ct);
            }
            else
            {
                var labels = ns["metadata"]!["labels"] as JsonObject ?? [];
                labels[UseWaypointLabel] = o.Name;
                ns["metadata"]!["labels"] = labels.DeepClone();
                await client.ReplaceAsync(ResourceKind.Namespaces, null, o.Namespace, ns, ct);
            }

            await stdout.WriteLineAsync($"namespace {o.Namespace} labelled {UseWaypointLabel}={o.Name}");
        }

        return 0;
    }

    private static async Task<List<JsonElement>> KubeWaypointsAsync(KubeApiClient client, Options o, CancellationToken ct)
    {
        var list = await client.ListAsync(ResourceKind.Gateways, o.AllNamespaces ? null : o.Namespace, default, 500, ct);
        return list.Items
            .Where(g => g.TryGetProperty("spec", out var spec) && spec.TryGetProperty("gatewayClassName", out var c) && c.GetString() == ClassName)
            .OrderBy(g => g.GetProperty("metadata").GetProperty("namespace").GetString(), StringComparer.Ordinal)
            .ThenBy(g => g.GetProperty("metadata").GetProperty("name").GetString(), StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<int> KubeListAsync(KubeApiClient client, Options o, TextWriter stdout, CancellationToken ct)
    {
        var rows = await KubeWaypointsAsync(client, o, ct);
        if (rows.Count == 0)
        {
            await stdout.WriteLineAsync(o.AllNamespaces ? "No waypoints found." : $"No waypoints found in namespace {o.Namespace}.");
            return 0;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"NAMESPACE",-20} {"NAME",-24} {"FOR",-9} PROGRAMMED\n");
        foreach (var gateway in rows)
        {
            var metadata = gateway.GetProperty("metadata");
            var traffic = metadata.TryGetProperty("labels", out var labels) && labels.TryGetProperty(WaypointForLabel, out var f) ? f.GetString() : "service";
            text.Append(CultureInfo.InvariantCulture,
                $"{metadata.GetProperty("namespace").GetString(),-20} {metadata.GetProperty("name").GetString(),-24} {traffic,-9} {ConditionOf(gateway, "Programmed")}\n");
        }

        await stdout.WriteAsync(text.ToString());
        return 0;
    }

    private static async Task<int> KubeDeleteAsync(KubeApiClient client, Options o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var names = o.All
            ? (await KubeWaypointsAsync(client, o with { AllNamespaces = false }, ct)).Select(g => g.GetProperty("metadata").GetProperty("name").GetString()!).ToList()
            : o.Names.Count > 0 ? o.Names : [o.Name];
        var failed = false;
        foreach (var name in names)
        {
            var live = await client.GetAsync(ResourceKind.Gateways, o.Namespace, name, ct);
            if (live?["spec"]?["gatewayClassName"]?.GetValue<string>() != ClassName)
            {
                // Never delete an ingress Gateway that happens to carry the name.
                await stderr.WriteLineAsync($"meshway waypoint: no waypoint {o.Namespace}/{name} (a Gateway of class {ClassName})");
                failed = true;
                continue;
            }

            await client.DeleteAsync(ResourceKind.Gateways, o.Namespace, name, ct);
            await stdout.WriteLineAsync($"waypoint {o.Namespace}/{name} deleted");
        }

        return failed ? 1 : 0;
    }

    private static async Task<int> KubeStatusAsync(KubeApiClient client, Options o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var gateway = await client.GetAsync(ResourceKind.Gateways, o.Namespace, o.Name, ct);
        if (gateway is null)
        {
            await stderr.WriteLineAsync($"meshway waypoint: no waypoint {o.Namespace}/{o.Name}");
            return 1;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"waypoint {o.Namespace}/{o.Name}\n");
        var conditions = gateway["status"]?["conditions"] as JsonArray;
        if (conditions is null or { Count: 0 })
        {
            text.Append("  no status yet (is `meshway controller` running?)\n");
        }

        foreach (var condition in conditions?.OfType<JsonObject>() ?? [])
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {condition["type"]?.GetValue<string>(),-12} {condition["status"]?.GetValue<string>(),-6} {condition["reason"]?.GetValue<string>()}: {condition["message"]?.GetValue<string>()}\n");
        }

        if (gateway["status"]?["addresses"] is JsonArray { Count: > 0 } addresses)
        {
            text.Append("  addresses: ").Append(string.Join(", ", addresses.Select(a => a?["value"]?.GetValue<string>()))).Append('\n');
        }

        await stdout.WriteAsync(text.ToString());
        return 0;
    }

    private static string ConditionOf(JsonElement gateway, string type)
    {
        if (gateway.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array)
        {
            foreach (var condition in conditions.EnumerateArray())
            {
                if (condition.TryGetProperty("type", out var t) && t.GetString() == type && condition.TryGetProperty("status", out var s))
                {
                    return s.GetString() ?? "Unknown";
                }
            }
        }

        return "Unknown";
    }
}
