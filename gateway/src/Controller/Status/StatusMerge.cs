using System.Globalization;
using System.Text.Json.Nodes;

namespace Meshway.Controller.Status;

/// <summary>
/// Turns the status translation computed (no timestamps, only our parts) into the status to write, given
/// the status the object has now:
/// - GatewayClass and Gateway: our fields (conditions, supportedFeatures / addresses, listeners) are
///   replaced; any other field is kept;
/// - route: status.parents entries of other controllers are kept as they are; ours are replaced by the
///   ones computed (an entry we no longer produce disappears);
/// - every condition keeps its previous lastTransitionTime while its status stays the same, and gets
///   <c>now</c> when it is new or its status flipped, so re-writing an unchanged world is byte-identical
///   and needs no write at all.
/// </summary>
public static class StatusMerge
{
    public static string Timestamp(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>GatewayClass or Gateway: the fields in <paramref name="computed"/> replace the current ones.</summary>
    public static JsonObject Owned(JsonObject? current, JsonObject computed, DateTimeOffset now)
    {
        var result = current?.DeepClone().AsObject() ?? new JsonObject();
        var stamp = Timestamp(now);
        foreach (var (name, value) in computed)
        {
            var next = value?.DeepClone();
            switch (name)
            {
                case "conditions":
                    StampConditions(next as JsonArray, current?["conditions"] as JsonArray, stamp);
                    break;
                case "listeners" when next is JsonArray listeners:
                    foreach (var listener in listeners.OfType<JsonObject>())
                    {
                        var old = (current?["listeners"] as JsonArray)?.OfType<JsonObject>()
                            .FirstOrDefault(l => l["name"]?.GetValue<string>() == listener["name"]?.GetValue<string>());
                        StampConditions(listener["conditions"] as JsonArray, old?["conditions"] as JsonArray, stamp);
                    }

                    break;
            }

            result[name] = next;
        }

        return result;
    }

    /// <summary>Route: replaces our status.parents entries (by controllerName), keeps everyone else's.</summary>
    public static JsonObject RouteParents(JsonObject? current, IReadOnlyList<JsonObject> ours, string controllerName, DateTimeOffset now) =>
        Entries(current, ours, controllerName, now, "parents", "parentRef");

    /// <summary>Policy (BackendTLSPolicy): the same for status.ancestors entries, matched by ancestorRef.</summary>
    public static JsonObject PolicyAncestors(JsonObject? current, IReadOnlyList<JsonObject> ours, string controllerName, DateTimeOffset now) =>
        Entries(current, ours, controllerName, now, "ancestors", "ancestorRef");

    private static JsonObject Entries(
        JsonObject? current, IReadOnlyList<JsonObject> ours, string controllerName, DateTimeOffset now, string listField, string refField)
    {
        var result = current?.DeepClone().AsObject() ?? new JsonObject();
        var stamp = Timestamp(now);
        var oldParents = (current?[listField] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var parents = new JsonArray();
        foreach (var parent in oldParents)
        {
            if (parent["controllerName"]?.GetValue<string>() != controllerName)
            {
                parents.Add(parent.DeepClone());
            }
        }

        foreach (var parent in ours)
        {
            var next = parent.DeepClone().AsObject();
            var old = oldParents.FirstOrDefault(p =>
                p["controllerName"]?.GetValue<string>() == controllerName && JsonNode.DeepEquals(p[refField], next[refField]));
            StampConditions(next["conditions"] as JsonArray, old?["conditions"] as JsonArray, stamp);
            parents.Add(next);
        }

        if (parents.Count == 0 && result[listField] is null)
        {
            return result; // nothing of ours was ever there: leave the status exactly as it is
        }

        result[listField] = parents;
        return result;
    }

    private static void StampConditions(JsonArray? conditions, JsonArray? previous, string stamp)
    {
        if (conditions is null)
        {
            return;
        }

        foreach (var condition in conditions.OfType<JsonObject>())
        {
            var type = condition["type"]?.GetValue<string>();
            var old = previous?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
            var keep = old is not null
                && old["status"]?.GetValue<string>() == condition["status"]?.GetValue<string>()
                && old["lastTransitionTime"] is not null;
            condition["lastTransitionTime"] = keep ? old!["lastTransitionTime"]!.DeepClone() : stamp;
        }
    }
}
