using Meshway.Controller.Provisioning;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;

namespace Meshway.Controller.Watching;

/// <summary>
/// What `meshway proxy` watches on top of <see cref="ProxyWatch"/> once its Gateway turns out to be a waypoint
/// (class of controller meshway.dev/waypoint-controller). Namespaces, Services, EndpointSlices, HTTPRoutes and
/// GRPCRoutes are already in ProxyWatch; a waypoint also needs Pods in all namespaces (each endpoint's service
/// account identity and whether it is ambient). Pods are watched as optional: a proxy whose role lacks them still
/// serves, reaching every endpoint in plaintext. Ingress proxies never list Pods.
/// </summary>
public static class WaypointWatch
{
    public static IReadOnlyList<WatchSpec> Specs() =>
    [
        new WatchSpec(ResourceKind.Pods, new InformerOptions { Optional = true }),
    ];

    /// <summary>True when Gateway NS/NAME is among <paramref name="objects"/> and its class is handled by the waypoint controller.</summary>
    public static bool IsWaypoint(IReadOnlyList<KubeObject> objects, string @namespace, string name)
    {
        string? className = null;
        foreach (var obj in objects)
        {
            if (obj is Gateway gateway && gateway.Namespace == @namespace && gateway.Name == name)
            {
                className = gateway.Spec.GatewayClassName;
                break;
            }
        }

        if (className is null)
        {
            return false;
        }

        foreach (var obj in objects)
        {
            if (obj is GatewayClass gatewayClass && gatewayClass.Name == className)
            {
                return gatewayClass.Spec.ControllerName == WaypointResources.ControllerName;
            }
        }

        return false;
    }
}
