using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Tests.Infrastructure;

/// <summary>Hand-built snapshots, as translation would produce them, for one gateway "default/gw".</summary>
public static class Snapshots
{
    public static BackendModel Backend(string name, params int[] ports) =>
        new(name, 1, [.. ports.Select(p => new EndpointModel("127.0.0.1", p))]);

    public static RouteRuleModel Rule(
        string route, BackendSet backends, ImmutableArray<RouteFilter> filters = default, TimeSpan? requestTimeout = null, TimeSpan? backendTimeout = null, int index = 0) =>
        new(new RouteRef("HTTPRoute", "default", route), index, null, filters, backends, requestTimeout, backendTimeout);

    public static RouteEntry Entry(RouteRuleModel rule, PathMatch? path = null, string? method = null) =>
        new(new RouteMatch(path, method), rule, DateTimeOffset.UnixEpoch, 0);

    public static ListenerModel Listener(string name, string? hostname, IEnumerable<(string Host, RouteEntry[] Entries)> hosts, X509Certificate2? certificate = null) =>
        new("default", "gw", name, hostname,
            new HostnameTable<RouteTable>(hosts.Select(h => new KeyValuePair<string, RouteTable>(h.Host, new RouteTable(h.Entries)))),
            certificate);

    public static RoutingSnapshot Http(int port, params RouteEntry[] entries) =>
        new([new PortBinding("127.0.0.1", port, ListenerProtocol.Http, [Listener("http", null, [("*", entries)])])]);
}
