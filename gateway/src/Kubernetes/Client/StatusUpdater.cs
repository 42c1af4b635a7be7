using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace Meshway.Kubernetes.Client;

/// <summary>
/// Writes an object's status through the status subresource, the careful way:
/// 1. compute the desired status from the status the object has now (the caller's function decides what
///    it owns and keeps everything else: other controllers' entries, fields we do not know);
/// 2. if it equals the current status, write nothing (an unchanged world costs no request);
/// 3. PUT with the object's resourceVersion; on 409 Conflict, GET the latest object and start again at 1.
/// </summary>
public sealed partial class StatusUpdater(KubeApiClient client, ILogger logger)
{
    private const int MaxAttempts = 5;

    /// <summary>Status writes done (successful PUTs).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    private long _writes;

    /// <summary>
    /// Brings <paramref name="current"/>'s status to what <paramref name="compute"/> returns for it.
    /// Returns the object as written, or null when nothing needed writing (or the object is gone).
    /// </summary>
    public async Task<JsonObject?> UpdateAsync(
        ResourceKind kind, KubeObject current, Func<JsonObject?, JsonObject> compute, CancellationToken cancellationToken)
    {
        var ns = current.IsNamespaced ? current.Namespace : null;
        var body = JsonSerializer.SerializeToNode(current, kind.TypeInfo)!.AsObject();
        for (var attempt = 1; ; attempt++)
        {
            var status = body["status"] as JsonObject;
            var desired = compute(status?.DeepClone().AsObject());
            if (JsonNode.DeepEquals(status, desired))
            {
                return null;
            }

            body["status"] = desired;
            try
            {
                var written = await client.ReplaceStatusAsync(kind, ns, current.Name, body, cancellationToken);
                Interlocked.Increment(ref _writes);
                return written;
            }
            catch (KubeApiException ex) when (ex.IsConflict && attempt < MaxAttempts)
            {
                // Someone else wrote in between (another controller's parent entry, a spec edit): start from theirs.
                LogConflict(logger, kind, ns ?? "", current.Name, attempt);
                var latest = await client.GetAsync(kind, ns, current.Name, cancellationToken);
                if (latest is null)
                {
                    return null;
                }

                body = latest;
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
                return null;
            }
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Debug, Message = "Status of {Kind} {Namespace}/{Name} changed underneath us (attempt {Attempt}); retrying on the latest version")]
    private static partial void LogConflict(ILogger logger, ResourceKind kind, string @namespace, string name, int attempt);
}
