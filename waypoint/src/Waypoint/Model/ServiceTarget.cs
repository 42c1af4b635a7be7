using System.Collections.Frozen;
using Meshway.Routing.Backends;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.Waypoint.Model;

/// <summary>How the waypoint handles the bytes of one Service port.</summary>
public enum ServiceProtocol
{
    /// <summary>HTTP/1.1 (or h2c) inside the tunnel: routes, filters and policy apply.</summary>
    Http,

    /// <summary>Opaque bytes (appProtocol tcp, or a tcp-* port name): proxied to an endpoint as is.</summary>
    Tcp,

    /// <summary>
    /// Undeclared (a pod port addressed directly, waypoint-for workload): HTTP when the tunnel's first bytes
    /// are an HTTP/1.1 request line or the HTTP/2 preface, else opaque bytes.
    /// </summary>
    Detect,
}

/// <summary>
/// One Service port this waypoint serves, keyed by its VIP:port (the HBONE :authority ztunnel sends).
/// It carries the GAMMA route tables: the producer table (routes in the Service's namespace, for every
/// client) and consumer tables (routes in another namespace, only for clients from that namespace).
/// With no route at all the producer table holds one catch-all entry to the Service itself.
/// </summary>
public sealed class ServiceTarget
{
    public ServiceTarget(
        string @namespace,
        string name,
        string vip,
        int port,
        ServiceProtocol protocol,
        BackendModel service,
        RouteTable producer,
        FrozenDictionary<string, RouteTable> consumers,
        string waypoint)
    {
        Waypoint = waypoint;
        Namespace = @namespace;
        Name = name;
        Vip = vip;
        Port = port;
        Protocol = protocol;
        Service = service;
        Producer = producer;
        Consumers = consumers;

        // The shared GatewayPipeline serves a request from a PortBinding: one per table, built here (translation
        // time) so the request path only picks one. A GAMMA route has no hostnames: its table answers any Host.
        var slash = waypoint.IndexOf('/');
        var gatewayNamespace = slash < 0 ? "" : waypoint[..slash];
        var gatewayName = slash < 0 ? waypoint : waypoint[(slash + 1)..];
        ProducerBinding = Binding(producer, gatewayNamespace, gatewayName, vip, port);
        ConsumerBindings = consumers.ToFrozenDictionary(
            c => c.Key, c => Binding(c.Value, gatewayNamespace, gatewayName, vip, port), StringComparer.Ordinal);
    }

    /// <summary>"namespace/name" of the waypoint Gateway the Service is bound to: only that waypoint serves it.</summary>
    public string Waypoint { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Vip { get; }

    public int Port { get; }

    public ServiceProtocol Protocol { get; }

    /// <summary>The Service port itself as a backend (its endpoints): where TCP goes, and HTTP when no route matches.</summary>
    public BackendModel Service { get; }

    public RouteTable Producer { get; }

    public FrozenDictionary<string, RouteTable> Consumers { get; }

    /// <summary>"namespace/name:port", for logs and metrics.</summary>
    public string DisplayName => Namespace + "/" + Name + ":" + Port;

    /// <summary>The producer table as the pipeline's binding: socket VIP:port, one host-less listener.</summary>
    public PortBinding ProducerBinding { get; }

    /// <summary>The consumer tables as bindings, by client namespace.</summary>
    public FrozenDictionary<string, PortBinding> ConsumerBindings { get; }

    /// <summary>The binding for a client from <paramref name="clientNamespace"/> (see <see cref="TableFor"/>).</summary>
    public PortBinding BindingFor(string? clientNamespace) =>
        clientNamespace is not null && ConsumerBindings.TryGetValue(clientNamespace, out var consumer) ? consumer : ProducerBinding;

    /// <summary>The table for a client from <paramref name="clientNamespace"/>: its namespace's consumer routes replace the producer routes.</summary>
    public RouteTable TableFor(string? clientNamespace) =>
        clientNamespace is not null && Consumers.TryGetValue(clientNamespace, out var consumer) ? consumer : Producer;

    /// <summary>
    /// A pod port addressed directly (CONNECT podIP:port, waypoint-for workload/all): no GAMMA routes apply
    /// (routes attach to Services), so its one table forwards to the pod itself, through the shared pipeline.
    /// </summary>
    public static ServiceTarget ForWorkload(WorkloadInfo workload, string address, int port)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var backend = new BackendModel(
            workload.Namespace + "/" + workload.Name + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            1, [new EndpointModel(address, port)]);
        var rule = new RouteRuleModel(new RouteRef("Pod", workload.Namespace, workload.Name), 0, null, [], new BackendSet([backend]));
        var table = new RouteTable([new RouteEntry(new RouteMatch(), rule, DateTimeOffset.MaxValue, 0)]);
        return new ServiceTarget(
            workload.Namespace, workload.Name, address, port, ServiceProtocol.Detect, backend, table,
            FrozenDictionary<string, RouteTable>.Empty, workload.Waypoint ?? "");
    }

    private static PortBinding Binding(RouteTable table, string gatewayNamespace, string gatewayName, string vip, int port)
    {
        var hosts = new HostnameTable<RouteTable>([new KeyValuePair<string, RouteTable>("*", table)]);
        var listener = new ListenerModel(gatewayNamespace, gatewayName, "mesh", null, hosts);
        return new PortBinding(vip, port, ListenerProtocol.Http, [listener]);
    }
}
