namespace Meshway.Routing.Filters;

public enum PathModifierKind
{
    ReplaceFullPath,
    ReplacePrefixMatch,
}

/// <summary>
/// A path change for RequestRedirect or URLRewrite. ReplacePrefixMatch replaces the matched PathPrefix
/// (the matched entry's <c>PathMatch.NormalizedPrefix</c>) and keeps the rest of the path.
/// </summary>
public sealed record PathModifier(PathModifierKind Kind, string Value);
