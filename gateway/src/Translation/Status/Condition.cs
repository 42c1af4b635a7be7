using System.Text.Json.Nodes;

namespace Meshway.Translation.Status;

/// <summary>
/// A Gateway API condition as translation decides it. It has no lastTransitionTime: translation has no
/// clock, so whoever writes status stamps it (and keeps the old stamp when nothing changed).
/// </summary>
internal sealed record Condition(string Type, bool Status, string Reason, string Message)
{
    public JsonObject ToJson(long observedGeneration) => new()
    {
        ["type"] = Type,
        ["status"] = Status ? "True" : "False",
        ["reason"] = Reason,
        ["message"] = Message,
        ["observedGeneration"] = observedGeneration,
    };

    public static JsonArray ToJson(IEnumerable<Condition> conditions, long observedGeneration)
    {
        var array = new JsonArray();
        foreach (var condition in conditions)
        {
            array.Add(condition.ToJson(observedGeneration));
        }

        return array;
    }
}

/// <summary>
/// A problem found in configuration, as data: the Gateway API reason it maps to and a message for humans.
/// Translation returns these instead of throwing.
/// </summary>
internal sealed record ConfigError(string Reason, string Message);
