using System.Text.Json;
using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;

namespace Meshway.Controller.Watching;

/// <summary>
/// What `meshway proxy --gateway NS/NAME` watches, and the world it translates. Only its own Gateway is
/// watched (field selector on the name); routes, grants, namespaces, Services and EndpointSlices are watched
/// in all namespaces because a route may attach from anywhere and reach backends anywhere it is allowed to;
/// only TLS Secrets (field selector on the type) can be listener certificates.
/// </summary>
public static class ProxyWatch
{
    public static IReadOnlyList<WatchSpec> Specs(string @namespace, string name) =>
    [
        new WatchSpec(ResourceKind.GatewayClasses, new InformerOptions()),
        new WatchSpec(ResourceKind.Gateways, new InformerOptions { Namespace = @namespace, Selector = new ListSelector(FieldSelector: "metadata.name=" + name) }),
        new WatchSpec(ResourceKind.HttpRoutes, new InformerOptions()),
        new WatchSpec(ResourceKind.GrpcRoutes, new InformerOptions { Optional = true }),
        new WatchSpec(ResourceKind.BackendTlsPolicies, new InformerOptions { Optional = true }),
        new WatchSpec(ResourceKind.ListenerSets, new InformerOptions { Optional = true }),
        // CA bundles (key ca.crt) of BackendTLSPolicy and Gateway spec.tls.frontend.
        new WatchSpec(ResourceKind.ConfigMaps, new InformerOptions()),
        new WatchSpec(ResourceKind.ReferenceGrants, new InformerOptions()),
        new WatchSpec(ResourceKind.Namespaces, new InformerOptions()),
        new WatchSpec(ResourceKind.Services, new InformerOptions()),
        new WatchSpec(ResourceKind.EndpointSlices, new InformerOptions()),
        new WatchSpec(ResourceKind.Secrets, new InformerOptions { Selector = new ListSelector(FieldSelector: "type=" + Secret.TlsType) }),
        .. StreamRouteWatches.Specs(),
    ];

    /// <summary>
    /// The objects to translate: everything but other Gateways, and this Gateway without spec.addresses. In a
    /// cluster those ask for an external (load-balancer) address, which is the Service's business; the pod
    /// itself listens on its own addresses (the bind address).
    /// </summary>
    public static IReadOnlyList<KubeObject> Scope(IReadOnlyList<KubeObject> objects, string @namespace, string name)
    {
        var scoped = new List<KubeObject>(objects.Count);
        foreach (var obj in objects)
        {
            if (obj is not Gateway gateway)
            {
                scoped.Add(obj);
            }
            else if (gateway.Namespace == @namespace && gateway.Name == name)
            {
                var copy = (Gateway)JsonSerializer.SerializeToElement(gateway, KubeJsonContext.Default.Gateway).Deserialize(KubeJsonContext.Default.Gateway)!;
                copy.Spec.Addresses = null;
                scoped.Add(copy);
            }
        }

        return scoped;
    }
}
