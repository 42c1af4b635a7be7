using Meshway.Routing.Filters;
using Microsoft.AspNetCore.Http;

namespace Meshway.DataPlane.Filters;

/// <summary>Applies RequestHeaderModifier / ResponseHeaderModifier bodies to a header collection.</summary>
internal static class HeaderModifierApplier
{
    /// <summary>
    /// Set replaces every value of the header, Add appends a value with a comma (a header that is absent is created),
    /// Remove deletes the header; names are case-insensitive. They run in that order, as Envoy-based
    /// implementations do, so a filter that sets and removes the same name ends with the header removed.
    /// </summary>
    public static void Apply(HeaderModifier modifier, IHeaderDictionary headers)
    {
        var set = modifier.Set;
        for (var i = 0; i < set.Length; i++)
        {
            headers[set[i].Key] = set[i].Value;
        }

        var add = modifier.Add;
        for (var i = 0; i < add.Length; i++)
        {
            // One comma-joined value, as Envoy writes it: backends and clients see "a,b" in one header line.
            var existing = headers[add[i].Key];
            headers[add[i].Key] = existing.Count == 0 ? add[i].Value : existing.ToString() + "," + add[i].Value;
        }

        var remove = modifier.Remove;
        for (var i = 0; i < remove.Length; i++)
        {
            headers.Remove(remove[i]);
        }
    }
}
