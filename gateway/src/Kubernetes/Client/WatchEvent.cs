using System.Text.Json;

namespace Meshway.Kubernetes.Client;

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

/// <summary>One line of a watch stream: {"type":..., "object":{...}}. The object is kept as raw JSON until typed.</summary>
public readonly record struct WatchEvent(WatchEventType Type, JsonElement Object);
