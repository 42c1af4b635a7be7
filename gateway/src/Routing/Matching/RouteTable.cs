using System.Collections.Immutable;

namespace Meshway.Routing.Matching;

/// <summary>
/// The entries serving one hostname, sorted once by <see cref="Precedence"/> at snapshot build time, so a
/// request takes the first entry that matches.
/// </summary>
public sealed class RouteTable
{
    private readonly RouteEntry[] _entries;

    public RouteTable(IEnumerable<RouteEntry> entries)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, Precedence.Instance);
        _entries = sorted;
    }

    public static RouteTable Empty { get; } = new([]);

    public ImmutableArray<RouteEntry> Entries => ImmutableArray.Create(_entries);

    public int Count => _entries.Length;

    /// <summary>The highest-precedence entry whose match holds, or null (the caller answers 404).</summary>
    public RouteEntry? Match<TRequest>(in TRequest request)
        where TRequest : IRequestView
    {
        var entries = _entries;
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Match.IsMatch(in request))
            {
                return entries[i];
            }
        }

        return null;
    }
}
