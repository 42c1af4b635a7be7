using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Harness;

/// <summary>Reads the admin /status list: {"items":[{"apiVersion","kind","metadata":{…},"status":{…}}]}.</summary>
public sealed class StatusDocument(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public JsonArray Items => Root["items"]?.AsArray() ?? throw new InvalidOperationException("/status has no items array: " + Root.ToJsonString());

    public override string ToString() => Root.ToJsonString();

    public JsonObject? Find(string kind, string? ns, string name)
    {
        foreach (var item in Items)
        {
            var metadata = item?["metadata"];
            if ((string?)item?["kind"] == kind
                && (string?)metadata?["name"] == name
                && (ns is null || (string?)metadata?["namespace"] == ns))
            {
                return item!.AsObject();
            }
        }

        return null;
    }

    public JsonObject Require(string kind, string? ns, string name) =>
        Find(kind, ns, name) ?? throw new Xunit.Sdk.XunitException($"/status has no {kind} {ns}/{name}: {this}");

    /// <summary>The condition <paramref name="type"/> of the route's parent entry for gateway <paramref name="gateway"/> (optionally sectionName).</summary>
    public Condition? RouteParentCondition(string routeNs, string route, string gateway, string type, string? sectionName = null, string kind = "HTTPRoute")
    {
        var item = Find(kind, routeNs, route);
        foreach (var parent in item?["status"]?["parents"]?.AsArray() ?? [])
        {
            var parentRef = parent?["parentRef"];
            if ((string?)parentRef?["name"] != gateway)
            {
                continue;
            }

            if (sectionName is not null && (string?)parentRef?["sectionName"] != sectionName)
            {
                continue;
            }

            var condition = FindCondition(parent?["conditions"], type);
            if (condition is not null)
            {
                return condition;
            }
        }

        return null;
    }

    /// <summary>Every condition of every parent of the route (for "some parent says X" checks).</summary>
    public IReadOnlyList<Condition> RouteConditions(string routeNs, string route)
    {
        var list = new List<Condition>();
        var item = Find("HTTPRoute", routeNs, route);
        foreach (var parent in item?["status"]?["parents"]?.AsArray() ?? [])
        {
            foreach (var c in parent?["conditions"]?.AsArray() ?? [])
            {
                list.Add(Condition.From(c!));
            }
        }

        return list;
    }

    public Condition? GatewayCondition(string ns, string gateway, string type) =>
        FindCondition(Find("Gateway", ns, gateway)?["status"]?["conditions"], type);

    public JsonObject? Listener(string ns, string gateway, string listener)
    {
        foreach (var l in Find("Gateway", ns, gateway)?["status"]?["listeners"]?.AsArray() ?? [])
        {
            if ((string?)l?["name"] == listener)
            {
                return l!.AsObject();
            }
        }

        return null;
    }

    public Condition? ListenerCondition(string ns, string gateway, string listener, string type) =>
        FindCondition(Listener(ns, gateway, listener)?["conditions"], type);

    private static Condition? FindCondition(JsonNode? conditions, string type)
    {
        foreach (var c in conditions?.AsArray() ?? [])
        {
            if ((string?)c?["type"] == type)
            {
                return Condition.From(c!);
            }
        }

        return null;
    }
}

public sealed record Condition(string Type, string Status, string Reason, string Message, long? ObservedGeneration)
{
    public static Condition From(JsonNode c) => new(
        (string?)c["type"] ?? string.Empty,
        (string?)c["status"] ?? string.Empty,
        (string?)c["reason"] ?? string.Empty,
        (string?)c["message"] ?? string.Empty,
        c["observedGeneration"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : null);

    public override string ToString() => $"{Type}={Status} ({Reason}: {Message})";
}
