using System.Text.Json.Nodes;
using Meshway.Translation.Status;

namespace Meshway.Config;

/// <summary>
/// Translation is pure and has no clock, so status conditions come without lastTransitionTime. This stamps
/// them as a controller would: the time a condition with this (type, status, reason) was first seen on this
/// object at this place, kept while it stays the same, reset when it changes.
/// </summary>
internal sealed class ConditionClock
{
    private Dictionary<string, string> _firstSeen = new(StringComparer.Ordinal);

    /// <summary>
    /// Renders <paramref name="report"/> with every condition stamped; remembers times for the next call
    /// unless <paramref name="remember"/> is false (a late render of an older generation).
    /// </summary>
    public JsonObject Stamp(StatusReport report, DateTimeOffset now, bool remember = true)
    {
        var json = report.ToJson();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var stamp = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        if (json["items"] is JsonArray items)
        {
            foreach (var item in items)
            {
                if (item is JsonObject obj)
                {
                    var id = obj["kind"] + "|" + obj["metadata"]?["namespace"] + "|" + obj["metadata"]?["name"];
                    Walk(obj["status"], id + "|status", seen, stamp);
                }
            }
        }

        if (remember)
        {
            _firstSeen = seen;
        }

        return json;
    }

    private void Walk(JsonNode? node, string path, Dictionary<string, string> seen, string stamp)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToArray())
                {
                    if (name == "conditions" && child is JsonArray conditions)
                    {
                        foreach (var condition in conditions.OfType<JsonObject>())
                        {
                            var key = path + "|" + condition["type"] + "|" + condition["status"] + "|" + condition["reason"];
                            if (!_firstSeen.TryGetValue(key, out var time))
                            {
                                time = stamp;
                            }

                            seen[key] = time;
                            if (condition["lastTransitionTime"] is null)
                            {
                                condition["lastTransitionTime"] = time;
                            }
                        }
                    }
                    else
                    {
                        Walk(child, path + "/" + name, seen, stamp);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    // Identify list members by their name (listeners) or parentRef when they have one, else by index.
                    var element = array[i] as JsonObject;
                    var label = element?["name"]?.ToString() ?? element?["parentRef"]?.ToJsonString() ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Walk(array[i], path + "[" + label + "]", seen, stamp);
                }

                break;
        }
    }
}
