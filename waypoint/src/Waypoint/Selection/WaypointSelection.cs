using Meshway.Kubernetes.Models;

namespace Meshway.Waypoint.Selection;

/// <summary>The Istio labels that bind Services to waypoints (istio.io/istio pkg/config/constants).</summary>
public static class WaypointLabels
{
    public const string UseWaypoint = "istio.io/use-waypoint";
    public const string UseWaypointNamespace = "istio.io/use-waypoint-namespace";
    public const string WaypointFor = "istio.io/waypoint-for";
    public const string DataplaneMode = "istio.io/dataplane-mode";
    public const string AmbientRedirection = "ambient.istio.io/redirection";

    /// <summary>The value of use-waypoint that opts a Service out of its namespace's waypoint.</summary>
    public const string None = "none";
}

/// <summary>Which traffic a waypoint takes (istio.io/waypoint-for): service is the default.</summary>
public enum WaypointFor
{
    Service,
    Workload,
    All,
    None,
}

/// <summary>
/// Decides which waypoint, if any, a Service uses: its own istio.io/use-waypoint label first (the value
/// "none" opts out, even when the namespace names one), else its namespace's label; the waypoint's
/// namespace is istio.io/use-waypoint-namespace next to that label, else the labelled object's namespace.
/// Pods bind the same way, for waypoints that take workload-addressed traffic.
/// </summary>
public static class WaypointSelector
{
    /// <summary>"namespace/name" of the waypoint the Service asks for, or null.</summary>
    public static string? WaypointOf(Service service, ResourceSet resources) => WaypointOf((KubeObject)service, resources);

    /// <summary>"namespace/name" of the waypoint a Pod asks for (its own label, else its namespace's), or null.</summary>
    public static string? WaypointOf(Pod pod, ResourceSet resources) => WaypointOf((KubeObject)pod, resources);

    private static string? WaypointOf(KubeObject obj, ResourceSet resources)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(resources);
        var labels = obj.Metadata.Labels;
        if (labels is not null && labels.TryGetValue(WaypointLabels.UseWaypoint, out var own))
        {
            return Resolve(own, labels, obj.Namespace);
        }

        var ns = resources.FindNamespace(obj.Namespace);
        var nsLabels = ns?.Metadata.Labels;
        if (nsLabels is not null && nsLabels.TryGetValue(WaypointLabels.UseWaypoint, out var inherited))
        {
            return Resolve(inherited, nsLabels, obj.Namespace);
        }

        return null;
    }

    /// <summary>The waypoint-for of a Gateway: its own label, else its class's, else service.</summary>
    public static WaypointFor TrafficOf(Gateway gateway, GatewayClass? gatewayClass)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var value = gateway.Metadata.Labels?.GetValueOrDefault(WaypointLabels.WaypointFor)
            ?? gatewayClass?.Metadata.Labels?.GetValueOrDefault(WaypointLabels.WaypointFor);
        return value switch
        {
            "workload" => WaypointFor.Workload,
            "all" => WaypointFor.All,
            "none" => WaypointFor.None,
            _ => WaypointFor.Service,
        };
    }

    /// <summary>True when the waypoint takes service-addressed traffic at all.</summary>
    public static bool ServesServices(WaypointFor traffic) => traffic is WaypointFor.Service or WaypointFor.All;

    /// <summary>True when the waypoint takes traffic addressed to a pod (podIP:port) of a workload bound to it.</summary>
    public static bool ServesWorkloads(WaypointFor traffic) => traffic is WaypointFor.Workload or WaypointFor.All;

    private static string? Resolve(string name, Dictionary<string, string> labels, string ownNamespace)
    {
        if (string.IsNullOrEmpty(name) || name == WaypointLabels.None)
        {
            return null;
        }

        var ns = labels.GetValueOrDefault(WaypointLabels.UseWaypointNamespace);
        return (string.IsNullOrEmpty(ns) ? ownNamespace : ns) + "/" + name;
    }
}
