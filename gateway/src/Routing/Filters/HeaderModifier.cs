using System.Collections.Immutable;

namespace Meshway.Routing.Filters;

/// <summary>
/// The body of RequestHeaderModifier and ResponseHeaderModifier: set (replace), add (append a value), remove.
/// Header names are case-insensitive.
/// </summary>
public sealed class HeaderModifier
{
    public HeaderModifier(
        ImmutableArray<KeyValuePair<string, string>> set = default,
        ImmutableArray<KeyValuePair<string, string>> add = default,
        ImmutableArray<string> remove = default)
    {
        Set = set.IsDefault ? [] : set;
        Add = add.IsDefault ? [] : add;
        Remove = remove.IsDefault ? [] : remove;
    }

    public ImmutableArray<KeyValuePair<string, string>> Set { get; }

    public ImmutableArray<KeyValuePair<string, string>> Add { get; }

    public ImmutableArray<string> Remove { get; }
}

public sealed class RequestHeaderModifierFilter(HeaderModifier modifier) : RouteFilter
{
    public HeaderModifier Modifier { get; } = modifier;
}

public sealed class ResponseHeaderModifierFilter(HeaderModifier modifier) : RouteFilter
{
    public HeaderModifier Modifier { get; } = modifier;
}
