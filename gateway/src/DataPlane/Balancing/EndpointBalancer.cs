using System.Collections.Concurrent;
using Meshway.Routing.Backends;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Balancing;

/// <summary>
/// Chooses an endpoint of a backend by power-of-two-choices least-request: two random endpoints, the one
/// with fewer requests in flight wins. In-flight counts live here, keyed by endpoint "address:port", so
/// they survive snapshot swaps (a new snapshot reuses the counters of endpoints it still has).
/// </summary>
internal sealed class EndpointBalancer
{
    private readonly ConcurrentDictionary<string, EndpointState> _states = new(StringComparer.Ordinal);

    /// <summary>Picks an endpoint, or null when the backend has none. <paramref name="random"/> is injectable for tests.</summary>
    public EndpointState? Choose(BackendModel backend, Random? random = null)
    {
        var endpoints = backend.Endpoints;
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return GetState(endpoints[0]);
        }

        random ??= Random.Shared;
        var first = random.Next(endpoints.Length);
        // A second, distinct index: draw from the remaining n-1 and skip over the first.
        var second = random.Next(endpoints.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = GetState(endpoints[first]);
        var b = GetState(endpoints[second]);
        return b.InFlight < a.InFlight ? b : a;
    }

    public EndpointState GetState(EndpointModel endpoint)
    {
        if (_states.TryGetValue(endpoint.Key, out var state))
        {
            return state;
        }

        return _states.GetOrAdd(endpoint.Key, static (_, e) => new EndpointState(e), endpoint);
    }

    /// <summary>Forgets endpoints no longer in <paramref name="snapshot"/> (called after a swap, off the hot path).</summary>
    public void Retain(RoutingSnapshot snapshot)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var binding in snapshot.Bindings)
        {
            foreach (var listener in binding.Listeners)
            {
                if (listener.Stream is { } stream)
                {
                    // TLS/TCP listeners: the in-flight count is the number of open spliced connections.
                    if (stream.TcpRoute is { } tcp)
                    {
                        AddBackends(live, tcp.Backends.Backends);
                    }

                    foreach (var (_, route) in stream.RoutesBySni.Entries)
                    {
                        AddBackends(live, route.Backends.Backends);
                    }
                }

                foreach (var (_, table) in listener.Hosts.Entries)
                {
                    foreach (var entry in table.Entries)
                    {
                        AddBackends(live, entry.Rule.Backends.Backends);
                        foreach (var filter in entry.Rule.Filters)
                        {
                            if (filter is Routing.Filters.RequestMirrorFilter mirror)
                            {
                                AddBackends(live, [mirror.Backend]);
                            }
                        }
                    }
                }
            }
        }

        foreach (var key in _states.Keys)
        {
            // An endpoint with requests in flight keeps its state until a later swap finds it idle.
            if (!live.Contains(key) && _states.TryGetValue(key, out var state) && state.InFlight == 0)
            {
                _states.TryRemove(key, out _);
            }
        }
    }

    internal int TrackedCount => _states.Count;

    private static void AddBackends(HashSet<string> live, IEnumerable<BackendModel> backends)
    {
        foreach (var backend in backends)
        {
            foreach (var endpoint in backend.Endpoints)
            {
                live.Add(endpoint.Key);
            }
        }
    }
}

/// <summary>Per-endpoint state shared across snapshots: the in-flight count and the destination prefix URI.</summary>
internal sealed class EndpointState
{
    private int _inFlight;

    public EndpointState(EndpointModel endpoint)
    {
        Endpoint = endpoint;
        DestinationPrefix = "http://" + endpoint.Key + "/";
    }

    public EndpointModel Endpoint { get; }

    /// <summary>"http://address:port/", what the forwarder puts in front of the path.</summary>
    public string DestinationPrefix { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Begin() => Interlocked.Increment(ref _inFlight);

    public void End() => Interlocked.Decrement(ref _inFlight);
}
