using System.Text.RegularExpressions;

namespace Meshway.Routing.Matching;

public enum PathMatchKind
{
    Exact,
    PathPrefix,
    RegularExpression,
}

/// <summary>
/// A compiled HTTPRoute path match. PathPrefix matches whole path elements ("/abc" matches "/abc",
/// "/abc/" and "/abc/def" but not "/abcd"); a trailing slash in the prefix is ignored, as the spec says.
/// RegularExpression must match the whole path.
/// </summary>
public sealed class PathMatch
{
    private readonly string _prefix; // normalised PathPrefix without trailing '/', "" for "/"
    private readonly Regex? _regex;

    private PathMatch(PathMatchKind kind, string value, Regex? regex)
    {
        Kind = kind;
        Value = value;
        _regex = regex;
        _prefix = kind == PathMatchKind.PathPrefix ? value.TrimEnd('/') : value;
    }

    public PathMatchKind Kind { get; }

    /// <summary>The value as the user wrote it.</summary>
    public string Value { get; }

    /// <summary>The prefix a ReplacePrefixMatch modifier replaces: the value without a trailing slash.</summary>
    public string NormalizedPrefix => _prefix;

    /// <summary>The default match of a rule that has none: PathPrefix "/".</summary>
    public static PathMatch Default { get; } = new(PathMatchKind.PathPrefix, "/", null);

    public static PathMatch Exact(string value) => new(PathMatchKind.Exact, value, null);

    public static PathMatch Prefix(string value) => new(PathMatchKind.PathPrefix, value, null);

    /// <summary>Compiles a full-match regular expression; throws <see cref="ArgumentException"/> when invalid.</summary>
    public static PathMatch Regex(string pattern) =>
        new(PathMatchKind.RegularExpression, pattern, RegexCache.CompileFullMatch(pattern));

    public bool IsMatch(string path)
    {
        switch (Kind)
        {
            case PathMatchKind.Exact:
                return string.Equals(path, Value, StringComparison.Ordinal);
            case PathMatchKind.PathPrefix:
                if (_prefix.Length == 0)
                {
                    return true;
                }

                return path.StartsWith(_prefix, StringComparison.Ordinal)
                    && (path.Length == _prefix.Length || path[_prefix.Length] == '/');
            default:
                return RegexCache.SafeIsMatch(_regex!, path);
        }
    }
}
