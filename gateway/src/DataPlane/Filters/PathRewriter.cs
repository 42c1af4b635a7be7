using Meshway.Routing.Filters;
using Meshway.Routing.Matching;

namespace Meshway.DataPlane.Filters;

/// <summary>Applies a <see cref="PathModifier"/> (URLRewrite or RequestRedirect path) to a request path.</summary>
internal static class PathRewriter
{
    /// <summary>
    /// The new path. ReplaceFullPath replaces the whole path. ReplacePrefixMatch replaces the part the entry's
    /// PathPrefix matched and keeps the rest, joining with exactly one '/': prefix "/prefix" with "/one" turns
    /// "/prefix/two" into "/one/two"; with "/" it turns "/prefix/two" into "/two" and "/prefix" into "/".
    /// </summary>
    public static string Apply(PathModifier modifier, string path, PathMatch matched)
    {
        if (modifier.Kind == PathModifierKind.ReplaceFullPath)
        {
            return modifier.Value.Length == 0 ? "/" : modifier.Value;
        }

        // Only a PathPrefix match has a prefix to replace; translation rejects other combinations, and an
        // empty prefix here means "prepend", which is the least surprising reading if one slips through.
        var prefix = matched.Kind == PathMatchKind.PathPrefix ? matched.NormalizedPrefix : "";
        var rest = path.Length >= prefix.Length ? path.AsSpan(prefix.Length) : ReadOnlySpan<char>.Empty;
        if (rest.IsEmpty)
        {
            return modifier.Value.Length == 0 ? "/" : modifier.Value;
        }

        var replacement = modifier.Value.AsSpan().TrimEnd('/');
        if (rest[0] != '/')
        {
            // Cannot happen for a PathPrefix match (it matches whole segments); keep the path well-formed anyway.
            return string.Concat(replacement, "/", rest);
        }

        return string.Concat(replacement, rest);
    }
}
