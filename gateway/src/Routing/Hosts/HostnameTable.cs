using System.Collections.Frozen;

namespace Meshway.Routing.Hosts;

/// <summary>
/// Finds the most specific entry for a request hostname: an exact name first, then the longest matching
/// wildcard ("*.example.com" matches "a.example.com" and "a.b.example.com", never "example.com"), then the
/// catch-all. Lookups walk the labels of the name, so cost grows with the name, not with the table.
/// </summary>
public sealed class HostnameTable<T>
    where T : class
{
    private readonly FrozenDictionary<string, T> _exact;
    private readonly FrozenDictionary<string, T> _wildcards; // keyed by suffix with its leading dot: ".example.com"
    private readonly T? _any;

    public HostnameTable(IEnumerable<KeyValuePair<string, T>> entries)
    {
        var exact = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        foreach (var (hostname, value) in entries)
        {
            if (hostname is "" or "*")
            {
                _any ??= value;
            }
            else if (hostname.StartsWith("*.", StringComparison.Ordinal))
            {
                wildcards.TryAdd(hostname[1..], value);
            }
            else
            {
                exact.TryAdd(hostname, value);
            }
        }

        _exact = exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _wildcards = wildcards.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Count = exact.Count + wildcards.Count + (_any is null ? 0 : 1);
    }

    public static HostnameTable<T> Empty { get; } = new([]);

    public int Count { get; }

    /// <summary>Every entry: exact names, then "*.suffix" wildcards, then "*" for the catch-all.</summary>
    public IEnumerable<KeyValuePair<string, T>> Entries
    {
        get
        {
            foreach (var pair in _exact)
            {
                yield return pair;
            }

            foreach (var pair in _wildcards)
            {
                yield return new KeyValuePair<string, T>("*" + pair.Key, pair.Value);
            }

            if (_any is not null)
            {
                yield return new KeyValuePair<string, T>("*", _any);
            }
        }
    }

    /// <summary>The entry for <paramref name="host"/>; a ":port" suffix and a trailing dot are ignored.</summary>
    public T? Find(ReadOnlySpan<char> host)
    {
        host = StripPort(host);
        if (host.Length > 0 && host[^1] == '.')
        {
            host = host[..^1];
        }

        var exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        if (exactLookup.TryGetValue(host, out var value))
        {
            return value;
        }

        if (_wildcards.Count > 0)
        {
            var wildcardLookup = _wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
            // Skip the first label: a wildcard needs at least one label before its suffix.
            var dot = host.IndexOf('.');
            while (dot >= 0)
            {
                var suffix = host[dot..];
                if (wildcardLookup.TryGetValue(suffix, out value))
                {
                    return value;
                }

                var next = suffix[1..].IndexOf('.');
                dot = next < 0 ? -1 : dot + 1 + next;
            }
        }

        return _any;
    }

    private static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        if (host.Length > 0 && host[0] == '[')
        {
            var close = host.IndexOf(']');
            return close > 0 ? host[1..close] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon >= 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }
}
