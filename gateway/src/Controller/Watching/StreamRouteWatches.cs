using Meshway.Kubernetes.Client;
using Meshway.Kubernetes.Models;

namespace Meshway.Controller.Watching;

/// <summary>
/// TLSRoute and TCPRoute in a cluster. TLSRoute is served as v1 by the standard channel since Gateway API
/// v1.5 and as v1alpha2 by the experimental channel (and older releases); TCPRoute only as v1alpha2. Each is
/// watched as optional: a cluster without the CRD still serves everything else. When both TLSRoute versions
/// are served the same object arrives twice; translation keeps one per namespace/name.
/// </summary>
public static class StreamRouteWatches
{
    public static IEnumerable<WatchSpec> Specs() =>
    [
        new WatchSpec(ResourceKind.TlsRoutes, new InformerOptions { Optional = true }),
        new WatchSpec(ResourceKind.TlsRoutesV1Alpha2, new InformerOptions { Optional = true }),
        new WatchSpec(ResourceKind.TcpRoutes, new InformerOptions { Optional = true }),
    ];

    /// <summary>The kind translation status uses for a route object ("TLSRoute", "TCPRoute"), or null.</summary>
    public static string? KindOf(KubeObject obj) => obj switch
    {
        TlsRoute => "TLSRoute",
        TcpRoute => "TCPRoute",
        _ => null,
    };

    /// <summary>Where to write the status of <paramref name="route"/>: the API version it was read through.</summary>
    public static ResourceKind? ResourceKindOf(KubeObject route) => route switch
    {
        TlsRoute when route.ApiVersion == ResourceKind.TlsRoutesV1Alpha2.ApiVersion => ResourceKind.TlsRoutesV1Alpha2,
        TlsRoute => ResourceKind.TlsRoutes,
        TcpRoute => ResourceKind.TcpRoutes,
        _ => null,
    };
}
