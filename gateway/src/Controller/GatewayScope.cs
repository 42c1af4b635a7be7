using Meshway.Kubernetes.Models;

namespace Meshway.Controller;

/// <summary>
/// In a cluster every Gateway gets its own proxy pods and Service, so two Gateways on port 80 do not share
/// a socket (as they would in standalone mode, where one process serves them all). Translation is therefore
/// run per Gateway, on the world with only that Gateway in it: its listeners, and the routes that attach to
/// it, come out exactly as the proxy of that Gateway will serve them.
/// </summary>
public static class GatewayScope
{
    public static ResourceSet Only(IReadOnlyList<KubeObject> objects, string @namespace, string name) =>
        ResourceSet.From(objects.Where(o => o is not Gateway g || (g.Namespace == @namespace && g.Name == name)));

    /// <summary>The world without any Gateway: still enough for GatewayClass status.</summary>
    public static ResourceSet WithoutGateways(IReadOnlyList<KubeObject> objects) =>
        ResourceSet.From(objects.Where(o => o is not Gateway));
}
