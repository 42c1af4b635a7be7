using System.Runtime.CompilerServices;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Matching;
using Meshway.Translation.Routes;
using Meshway.Translation.Status;

namespace Meshway.Translation.Caching;

/// <summary>
/// Remembers compiled routes, route status and per-hostname route tables between translations, so a change
/// to one route does not recompile, re-report and re-index the other thousands. Translation stays a pure function: a cached compiled route is only reused when recompiling
/// it would read exactly the same inputs, namely the same route object (by reference: config sources hand
/// unchanged objects over again as the same instances) and the same every other object in the set (Services,
/// EndpointSlices, ReferenceGrants, policies, Secrets, ConfigMaps, Namespaces, Gateways, all by reference and
/// in order). A route's compilation reads no other route, so adding, removing or editing routes keeps the
/// cache; any other change empties it. Not thread-safe: one cache per applier, which translates serially.
/// </summary>
public sealed class TranslationCache
{
    private KubeObject[] _dependencies = [];
    private Dictionary<KubeObject, CompiledRoute> _compiled = new(ReferenceEqualityComparer.Instance);
    private Dictionary<KubeObject, CompiledRoute> _next = new(ReferenceEqualityComparer.Instance);
    private Dictionary<CompiledRoute, (ParentResult[] Parents, string ControllerName, ObjectStatus Status)> _statuses = new(ReferenceEqualityComparer.Instance);
    private Dictionary<CompiledRoute, (ParentResult[] Parents, string ControllerName, ObjectStatus Status)> _nextStatuses = new(ReferenceEqualityComparer.Instance);
    private Dictionary<(string Listener, string Hostname), ((CompiledRoute Route, int Priority)[] Members, RouteTable Table)> _tables = [];
    private Dictionary<(string Listener, string Hostname), ((CompiledRoute Route, int Priority)[] Members, RouteTable Table)> _nextTables = [];

    /// <summary>How many compiled routes the last translation reused (what tests and benchmarks look at).</summary>
    public int LastReused { get; private set; }

    /// <summary>How many routes the last translation compiled afresh.</summary>
    public int LastCompiled { get; private set; }

    /// <summary>Starts a translation of <paramref name="resources"/>: keeps the cache only if nothing but routes changed.</summary>
    internal void Begin(ResourceSet resources)
    {
        var dependencies = new List<KubeObject>(resources.Objects.Count);
        foreach (var obj in resources.Objects)
        {
            if (obj is not HttpRoute and not GrpcRoute)
            {
                dependencies.Add(obj);
            }
        }

        if (!SameReferences(dependencies, _dependencies))
        {
            _compiled.Clear();
            _statuses.Clear();
            _tables.Clear();
            _dependencies = [.. dependencies];
        }

        _next.Clear();
        _nextStatuses.Clear();
        _nextTables.Clear();
        LastReused = 0;
        LastCompiled = 0;
    }

    internal CompiledRoute GetOrCompile(KubeObject route, Func<CompiledRoute> compile)
    {
        if (_compiled.TryGetValue(route, out var compiled))
        {
            LastReused++;
        }
        else
        {
            compiled = compile();
            LastCompiled++;
        }

        _next[route] = compiled;
        return compiled;
    }

    /// <summary>
    /// A route's status is a function of its compiled form and of how each parentRef attached: which
    /// parentRef (the same instance while the route object is the same), the error if any, and the names
    /// of the listeners it landed on. Reused when all of those are equal to the last translation's.
    /// </summary>
    internal ObjectStatus GetOrWriteStatus(CompiledRoute route, List<ParentResult> parents, string controllerName, Func<ObjectStatus> write)
    {
        if (!_statuses.TryGetValue(route, out var cached) || cached.ControllerName != controllerName || !SameAttachment(cached.Parents, parents))
        {
            cached = ([.. parents], controllerName, write());
        }

        _nextStatuses[route] = cached;
        return cached.Status;
    }

    /// <summary>Ends a translation: routes not seen in it are dropped, so the cache never outgrows the config.</summary>
    internal void End()
    {
        (_compiled, _next) = (_next, _compiled);
        (_statuses, _nextStatuses) = (_nextStatuses, _statuses);
        (_tables, _nextTables) = (_nextTables, _tables);
    }

    /// <summary>
    /// The route table of one hostname on one listener (a gateway namespace/name/listener name). A table is a
    /// function of its member routes in order and their hostname priorities; reused when those are the same
    /// compiled routes (by reference) with the same priorities as last time.
    /// </summary>
    internal RouteTable GetOrBuildTable(
        string listener, string hostname, List<(CompiledRoute Route, int Priority)> members, Func<List<(CompiledRoute Route, int Priority)>, RouteTable> build)
    {
        var key = (listener, hostname);
        if (!_tables.TryGetValue(key, out var cached) || !SameMembers(cached.Members, members))
        {
            cached = ([.. members], build(members));
        }

        _nextTables[key] = cached;
        return cached.Table;
    }

    private static bool SameMembers((CompiledRoute Route, int Priority)[] previous, List<(CompiledRoute Route, int Priority)> current)
    {
        if (previous.Length != current.Count)
        {
            return false;
        }

        for (var i = 0; i < previous.Length; i++)
        {
            if (!ReferenceEquals(previous[i].Route, current[i].Route) || previous[i].Priority != current[i].Priority)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Forgets everything (after a translation that threw, whose half-filled state must not be trusted).</summary>
    internal void Reset()
    {
        _compiled.Clear();
        _next.Clear();
        _statuses.Clear();
        _nextStatuses.Clear();
        _tables.Clear();
        _nextTables.Clear();
        _dependencies = [];
    }

    private static bool SameAttachment(ParentResult[] previous, List<ParentResult> current)
    {
        if (previous.Length != current.Count)
        {
            return false;
        }

        for (var i = 0; i < previous.Length; i++)
        {
            var (a, b) = (previous[i], current[i]);
            if (!ReferenceEquals(a.ParentRef, b.ParentRef) || !Equals(a.Error, b.Error) || a.Listeners.Count != b.Listeners.Count)
            {
                return false;
            }

            for (var l = 0; l < a.Listeners.Count; l++)
            {
                if (!string.Equals(a.Listeners[l].Listener.Name, b.Listeners[l].Listener.Name, StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool SameReferences(List<KubeObject> current, KubeObject[] previous)
    {
        if (current.Count != previous.Length)
        {
            return false;
        }

        for (var i = 0; i < previous.Length; i++)
        {
            if (!ReferenceEquals(current[i], previous[i]))
            {
                return false;
            }
        }

        return true;
    }
}
