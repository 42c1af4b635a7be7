using System.Text.RegularExpressions;

namespace Meshway.Routing.Matching;

public enum ValueMatchKind
{
    Exact,
    RegularExpression,
}

/// <summary>A header or query-parameter match: a name and an Exact (case-sensitive) or full-match regex value.</summary>
public sealed class ValueMatch
{
    private readonly Regex? _regex;

    private ValueMatch(string name, ValueMatchKind kind, string value, Regex? regex)
    {
        Name = name;
        Kind = kind;
        Value = value;
        _regex = regex;
    }

    public string Name { get; }

    public ValueMatchKind Kind { get; }

    public string Value { get; }

    public static ValueMatch Exact(string name, string value) => new(name, ValueMatchKind.Exact, value, null);

    /// <summary>Compiles a full-match regular expression; throws <see cref="ArgumentException"/> when invalid.</summary>
    public static ValueMatch Regex(string name, string pattern) =>
        new(name, ValueMatchKind.RegularExpression, pattern, RegexCache.CompileFullMatch(pattern));

    public bool IsMatch(string? actual)
    {
        if (actual is null)
        {
            return false;
        }

        return Kind == ValueMatchKind.Exact
            ? string.Equals(actual, Value, StringComparison.Ordinal)
            : RegexCache.SafeIsMatch(_regex!, actual);
    }
}
