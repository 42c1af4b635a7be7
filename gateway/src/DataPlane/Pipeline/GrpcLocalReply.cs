using Microsoft.AspNetCore.Http;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// Errors the gateway itself answers (no route, invalid or missing backend, no endpoint, upstream failure)
/// are turned into gRPC status for gRPC callers, as Envoy-based gateways do: a trailers-only response
/// (HTTP 200, content-type application/grpc, grpc-status and grpc-message in the one HEADERS frame that
/// ends the stream). gRPC clients read grpc-status, not the HTTP status, so a bare 404 would surface as a
/// confusing protocol error instead of UNIMPLEMENTED. The codes follow the gRPC HTTP-to-status mapping
/// (doc/http-grpc-status-mapping.md): 404 -> UNIMPLEMENTED, 429/502/503/504 -> UNAVAILABLE, 400 ->
/// INTERNAL, 401 -> UNAUTHENTICATED, 403 -> PERMISSION_DENIED; a 500 for an invalid or absent backendRef is
/// UNAVAILABLE too (there is no backend to reach), others UNKNOWN. Answers that came from a backend are
/// never touched: a gRPC server sends its own status.
/// </summary>
internal static class GrpcLocalReply
{
    // grpc-status codes (grpc/doc/statuscodes.md).
    private const string Unknown = "2";
    private const string Internal = "13";
    private const string Unimplemented = "12";
    private const string Unavailable = "14";
    private const string Unauthenticated = "16";
    private const string PermissionDenied = "7";

    /// <summary>
    /// application/grpc and its +proto/+json variants. gRPC-Web (application/grpc-web*) carries trailers in
    /// the body and is not translated here.
    /// </summary>
    public static bool IsGrpc(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == 16 || contentType[16] is '+' or ';';
    }

    /// <summary>Rewrites a not-yet-started local error response into a trailers-only gRPC response.</summary>
    public static void Apply(HttpResponse response, int httpStatus)
    {
        var (code, message) = httpStatus switch
        {
            StatusCodes.Status404NotFound => (Unimplemented, "no route for this method"),
            StatusCodes.Status500InternalServerError => (Unavailable, "no valid backend for this route"),
            StatusCodes.Status503ServiceUnavailable => (Unavailable, "no healthy upstream"),
            StatusCodes.Status502BadGateway => (Unavailable, "upstream connect error"),
            StatusCodes.Status504GatewayTimeout => (Unavailable, "upstream request timeout"),
            StatusCodes.Status429TooManyRequests => (Unavailable, "too many requests"),
            StatusCodes.Status400BadRequest => (Internal, "bad request"),
            StatusCodes.Status401Unauthorized => (Unauthenticated, "unauthenticated"),
            StatusCodes.Status403Forbidden => (PermissionDenied, "permission denied"),
            _ => (Unknown, "gateway error"),
        };

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.ContentLength = null;
        var headers = response.Headers;
        headers["grpc-status"] = code;
        headers["grpc-message"] = message;
    }
}
