using System.Collections.Immutable;
using Meshway.Routing.Filters;

namespace Meshway.Routing.Backends;

/// <summary>
/// One backendRef after resolution. An invalid one (not found, not permitted, unknown kind) stays in the
/// weighted set with <see cref="Invalid"/> set, so the share of traffic that would have gone to it gets a
/// 500, as the spec requires; a valid one with no ready endpoints answers 503.
/// </summary>
public sealed class BackendModel
{
    public BackendModel(
        string name,
        int weight,
        ImmutableArray<EndpointModel> endpoints,
        BackendProtocol protocol = BackendProtocol.Http1,
        ImmutableArray<RouteFilter> filters = default,
        bool invalid = false,
        BackendTlsModel? tls = null)
    {
        Tls = tls;
        Name = name;
        Weight = weight;
        Endpoints = endpoints.IsDefault ? [] : endpoints;
        Protocol = protocol;
        Filters = filters.IsDefault ? [] : filters;
        Invalid = invalid;
    }

    /// <summary>"namespace/service:port", used in metrics and logs.</summary>
    public string Name { get; }

    public int Weight { get; }

    public ImmutableArray<EndpointModel> Endpoints { get; }

    public BackendProtocol Protocol { get; }

    /// <summary>Filters on the backendRef itself (RequestHeaderModifier, ResponseHeaderModifier).</summary>
    public ImmutableArray<RouteFilter> Filters { get; }

    public bool Invalid { get; }

    /// <summary>Set when a BackendTLSPolicy applies: the gateway connects to the endpoints over TLS.</summary>
    public BackendTlsModel? Tls { get; }

    public static BackendModel InvalidRef(string name, int weight) => new(name, weight, [], invalid: true);
}
