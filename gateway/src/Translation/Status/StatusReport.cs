using System.Text.Json.Nodes;

namespace Meshway.Translation.Status;

/// <summary>The status of one object as translation computed it (what the controller would write).</summary>
public sealed record ObjectStatus(string ApiVersion, string Kind, string? Namespace, string Name, long Generation, JsonObject Status);

/// <summary>
/// Status of every object translation looked at. <see cref="ToJson"/> renders the Kubernetes-style list
/// the admin endpoint /status serves:
/// {"items":[{"apiVersion","kind","metadata":{"namespace","name","generation"},"status":{…}}]}.
/// </summary>
public sealed class StatusReport
{
    public StatusReport(IReadOnlyList<ObjectStatus> items)
    {
        Items = items;
    }

    public static StatusReport Empty { get; } = new([]);

    public IReadOnlyList<ObjectStatus> Items { get; }

    public JsonObject ToJson()
    {
        var items = new JsonArray();
        foreach (var item in Items)
        {
            var metadata = new JsonObject();
            if (item.Namespace is not null)
            {
                metadata["namespace"] = item.Namespace;
            }

            metadata["name"] = item.Name;
            metadata["generation"] = item.Generation;
            items.Add(new JsonObject
            {
                ["apiVersion"] = item.ApiVersion,
                ["kind"] = item.Kind,
                ["metadata"] = metadata,
                ["status"] = item.Status.DeepClone(),
            });
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items };
    }
}
