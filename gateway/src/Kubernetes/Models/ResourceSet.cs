using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meshway.Kubernetes.Models;

/// <summary>
/// An immutable set of objects, the input of translation, indexed the ways translation looks things up.
/// Two objects of the same kind, namespace and name cannot coexist in a cluster; when files say so anyway,
/// the later one wins (files are read in a stable order, so the outcome is stable too).
/// </summary>
public sealed class ResourceSet
{
    private readonly FrozenDictionary<string, Service> _services;
    private readonly FrozenDictionary<string, Secret> _secrets;
    private readonly FrozenDictionary<string, KubeNamespace> _namespaces;
    private readonly FrozenDictionary<string, ImmutableArray<EndpointSlice>> _slicesByService;
    private readonly FrozenDictionary<string, ImmutableArray<ReferenceGrant>> _grantsByNamespace;
    private readonly FrozenDictionary<string, Pod> _podsByIp;

    private ResourceSet(IReadOnlyList<KubeObject> objects)
    {
        Objects = objects;
        GatewayClasses = Latest(objects.OfType<GatewayClass>());
        Gateways = Latest(objects.OfType<Gateway>());
        HttpRoutes = Latest(objects.OfType<HttpRoute>());
        GrpcRoutes = Latest(objects.OfType<GrpcRoute>());
        TlsRoutes = Latest(objects.OfType<TlsRoute>());
        TcpRoutes = Latest(objects.OfType<TcpRoute>());
        ListenerSets = Latest(objects.OfType<ListenerSet>());
        BackendTlsPolicies = Latest(objects.OfType<BackendTlsPolicy>());
        ConfigMaps = Latest(objects.OfType<ConfigMap>());
        ReferenceGrants = Latest(objects.OfType<ReferenceGrant>());
        Services = Latest(objects.OfType<Service>());
        Secrets = Latest(objects.OfType<Secret>());
        Namespaces = Latest(objects.OfType<KubeNamespace>());
        EndpointSlices = Latest(objects.OfType<EndpointSlice>());
        Pods = Latest(objects.OfType<Pod>());

        _services = Services.ToFrozenDictionary(s => Key(s.Namespace, s.Name), StringComparer.Ordinal);
        _secrets = Secrets.ToFrozenDictionary(s => Key(s.Namespace, s.Name), StringComparer.Ordinal);
        _namespaces = Namespaces.ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
        _slicesByService = EndpointSlices
            .Where(s => s.Metadata.Labels?.ContainsKey(EndpointSlice.ServiceNameLabel) == true)
            .GroupBy(s => Key(s.Namespace, s.Metadata.Labels![EndpointSlice.ServiceNameLabel]), StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
        _grantsByNamespace = ReferenceGrants
            .GroupBy(g => g.Namespace, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
        _podsByIp = IndexPodsByIp(Pods);
    }

    public static ResourceSet Empty { get; } = new([]);

    /// <summary>Every object as given, in order (duplicates included).</summary>
    public IReadOnlyList<KubeObject> Objects { get; }

    /// <summary>Objects of each kind, one per namespace/name, ordered by namespace then name.</summary>
    public ImmutableArray<GatewayClass> GatewayClasses { get; }

    public ImmutableArray<Gateway> Gateways { get; }

    public ImmutableArray<HttpRoute> HttpRoutes { get; }

    public ImmutableArray<GrpcRoute> GrpcRoutes { get; }

    public ImmutableArray<TlsRoute> TlsRoutes { get; }

    public ImmutableArray<TcpRoute> TcpRoutes { get; }
    public ImmutableArray<ListenerSet> ListenerSets { get; }

    public ImmutableArray<BackendTlsPolicy> BackendTlsPolicies { get; }

    public ImmutableArray<ConfigMap> ConfigMaps { get; }

    public ImmutableArray<ReferenceGrant> ReferenceGrants { get; }

    public ImmutableArray<Service> Services { get; }

    public ImmutableArray<Secret> Secrets { get; }

    public ImmutableArray<KubeNamespace> Namespaces { get; }

    public ImmutableArray<EndpointSlice> EndpointSlices { get; }

    public ImmutableArray<Pod> Pods { get; }

    public static ResourceSet From(IEnumerable<KubeObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        return new(objects.Where(o => o is not null).ToArray());
    }

    public Service? FindService(string @namespace, string name) => _services.GetValueOrDefault(Key(@namespace, name));

    public ConfigMap? FindConfigMap(string @namespace, string name) =>
        ConfigMaps.FirstOrDefault(c => c.Namespace == @namespace && c.Name == name);

    public Secret? FindSecret(string @namespace, string name) => _secrets.GetValueOrDefault(Key(@namespace, name));

    public KubeNamespace? FindNamespace(string name) => _namespaces.GetValueOrDefault(name);

    /// <summary>The EndpointSlices labelled kubernetes.io/service-name=<paramref name="serviceName"/> in the namespace.</summary>
    public ImmutableArray<EndpointSlice> SlicesOf(string @namespace, string serviceName) =>
        _slicesByService.TryGetValue(Key(@namespace, serviceName), out var slices) ? slices : [];

    /// <summary>The pod that owns <paramref name="ip"/> (status.podIP or any status.podIPs entry), if known.</summary>
    public Pod? FindPodByIp(string ip) => _podsByIp.GetValueOrDefault(ip);

    public ImmutableArray<ReferenceGrant> GrantsIn(string @namespace) =>
        _grantsByNamespace.TryGetValue(@namespace, out var grants) ? grants : [];

    private static FrozenDictionary<string, Pod> IndexPodsByIp(ImmutableArray<Pod> pods)
    {
        // Two pods claiming one IP (a stale file): the first in namespace/name order keeps it, so the result is stable.
        var byIp = new Dictionary<string, Pod>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!string.IsNullOrEmpty(pod.Status.PodIP))
            {
                byIp.TryAdd(pod.Status.PodIP, pod);
            }

            foreach (var ip in pod.Status.PodIPs ?? [])
            {
                if (!string.IsNullOrEmpty(ip?.Ip))
                {
                    byIp.TryAdd(ip.Ip, pod);
                }
            }
        }

        return byIp.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string Key(string @namespace, string name) => @namespace + "/" + name;

    private static ImmutableArray<T> Latest<T>(IEnumerable<T> objects)
        where T : KubeObject
    {
        var byKey = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            byKey[Key(o.Namespace, o.Name)] = o;
        }

        return byKey.Values
            .OrderBy(o => o.Namespace, StringComparer.Ordinal)
            .ThenBy(o => o.Name, StringComparer.Ordinal)
            .ToImmutableArray();
    }
}
