using System.Text.Json.Nodes;

namespace Meshway.Controller.Provisioning;

/// <summary>
/// "Does the live object already say what we want?" The API server fills in defaults (a Service port's
/// protocol, a Deployment's strategy...), so live objects are compared on the fields we set only: every
/// field of the desired object must be present and equal (recursively) in the live one; arrays must have the
/// same length and match element by element. Updating then overlays our fields on the live object.
/// </summary>
public static class JsonSubset
{
    public static bool Contains(JsonNode? live, JsonNode? desired)
    {
        switch (desired)
        {
            case null:
                return true;
            case JsonObject want:
                if (live is not JsonObject have)
                {
                    return false;
                }

                foreach (var (key, value) in want)
                {
                    if (!have.TryGetPropertyValue(key, out var actual) || !Contains(actual, value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray wantArray:
                if (live is not JsonArray haveArray || haveArray.Count != wantArray.Count)
                {
                    return false;
                }

                for (var i = 0; i < wantArray.Count; i++)
                {
                    if (!Contains(haveArray[i], wantArray[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return live is JsonValue && JsonNode.DeepEquals(live, desired);
        }
    }

    /// <summary>The live object with our fields laid over it (objects merged, arrays and values replaced).</summary>
    public static JsonObject Overlay(JsonObject live, JsonObject desired)
    {
        var result = live.DeepClone().AsObject();
        foreach (var (key, value) in desired)
        {
            if (value is JsonObject child && result[key] is JsonObject existing)
            {
                result[key] = Overlay(existing, child);
            }
            else
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }
}
