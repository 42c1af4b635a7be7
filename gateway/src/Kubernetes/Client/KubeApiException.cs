using System.Net;

namespace Meshway.Kubernetes.Client;

/// <summary>
/// The API server answered with an error status (or a watch carried an ERROR event). <see cref="StatusCode"/>
/// is the HTTP code or the code of the Status object; <see cref="Reason"/> the Status reason (Conflict, Gone...).
/// </summary>
public sealed class KubeApiException(int statusCode, string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;

    public bool IsGone => StatusCode == (int)HttpStatusCode.Gone || Reason == "Expired" || Reason == "Gone";

    public bool IsConflict => StatusCode == (int)HttpStatusCode.Conflict;

    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;
}
