using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meshway.Kubernetes.Models;

/// <summary>
/// The part every Kubernetes object shares. Fields the models do not know (status, managedFields, newer API
/// fields) land in <see cref="ExtensionData"/> so a client that reads, changes and writes an object back does
/// not lose them.
/// </summary>
public abstract class KubeObject
{
    public string ApiVersion { get; set => field = value ?? ""; } = "";

    public string Kind { get; set => field = value ?? ""; } = "";

    public ObjectMeta Metadata { get; set => field = value ?? new(); } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>False for cluster-scoped kinds (GatewayClass, Namespace).</summary>
    [JsonIgnore]
    public virtual bool IsNamespaced => true;

    /// <summary>The namespace, "default" when a namespaced object does not say; "" for cluster-scoped kinds.</summary>
    [JsonIgnore]
    public string Namespace => IsNamespaced ? (string.IsNullOrEmpty(Metadata.Namespace) ? "default" : Metadata.Namespace) : "";

    [JsonIgnore]
    public string Name => Metadata.Name ?? "";

    /// <summary>metadata.generation; 1 when the object never went through an API server.</summary>
    [JsonIgnore]
    public long Generation => Metadata.Generation ?? 1;
}

public sealed class ObjectMeta
{
    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public Dictionary<string, string>? Annotations { get; set; }

    public long? Generation { get; set; }

    public DateTimeOffset? CreationTimestamp { get; set; }

    public string? Uid { get; set; }

    public string? ResourceVersion { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>A reference to an object by group/kind/name (optionally namespace), as Gateway API writes it.</summary>
public sealed class ObjectReference
{
    public string? Group { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string? Namespace { get; set; }
}

/// <summary>A Kubernetes label selector (matchLabels AND every matchExpression).</summary>
public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; set; }

    public List<LabelSelectorRequirement>? MatchExpressions { get; set; }
}

public sealed class LabelSelectorRequirement
{
    public string? Key { get; set; }

    /// <summary>In, NotIn, Exists or DoesNotExist.</summary>
    public string? Operator { get; set; }

    public List<string>? Values { get; set; }
}
