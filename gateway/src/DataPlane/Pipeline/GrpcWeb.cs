using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// gRPC-Web (binary: application/grpc-web and application/grpc-web+proto) in front of a gRPC backend, so
/// browsers and HTTP/1.1 clients can call GRPCRoute services. The messages are the same length-prefixed
/// frames in both protocols, so the body streams through untouched; what changes:
/// 1. request: content-type becomes application/grpc(+proto) and te: trailers is added (the backend is
///    called with HTTP/2, as every GRPCRoute backend is);
/// 2. response: content-type becomes application/grpc-web(+proto);
/// 3. the backend's HTTP/2 trailers (grpc-status, grpc-message, ...) are sent as one last body frame with
///    flag 0x80 holding "name:value\r\n" lines, since HTTP/1.1 responses cannot carry trailers.
/// The text variant (grpc-web-text, base64) is not translated: it goes to the backend as is.
/// </summary>
internal static class GrpcWeb
{
    private const string Prefix = "application/grpc-web";

    /// <summary>Whether the request is binary gRPC-Web ("application/grpc-web", "+proto", "+json" or with parameters).</summary>
    public static bool Is(HttpRequest request)
    {
        var contentType = request.ContentType;
        return contentType is not null
            && contentType.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            && (contentType.Length == Prefix.Length || contentType[Prefix.Length] is '+' or ';');
    }

    /// <summary>Step 1: the upstream request speaks gRPC.</summary>
    public static void TransformRequest(HttpRequest request, HttpRequestMessage proxyRequest)
    {
        var grpcType = "application/grpc" + request.ContentType!.AsSpan(Prefix.Length).ToString();
        if (proxyRequest.Content is { } content)
        {
            content.Headers.Remove("Content-Type");
            content.Headers.TryAddWithoutValidation("Content-Type", grpcType);
        }

        proxyRequest.Headers.Remove("TE");
        proxyRequest.Headers.TryAddWithoutValidation("TE", "trailers");
    }

    /// <summary>Step 2: the client gets a gRPC-Web content-type.</summary>
    public static void TransformResponse(HttpResponse response)
    {
        var contentType = response.ContentType;
        if (contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            response.ContentType = Prefix + contentType.AsSpan("application/grpc".Length).ToString();
        }
    }

    /// <summary>Step 3: the trailers frame, written after the last message.</summary>
    public static async ValueTask WriteTrailersAsync(HttpResponse response, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var (name, values) in proxyResponse.TrailingHeaders)
        {
            foreach (var value in values)
            {
                text.Append(name.ToLowerInvariant()).Append(':').Append(value).Append("\r\n");
            }
        }

        var length = Encoding.ASCII.GetByteCount(text.ToString());
        var frame = ArrayPool<byte>.Shared.Rent(5 + length);
        try
        {
            frame[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)length);
            Encoding.ASCII.GetBytes(text.ToString(), frame.AsSpan(5));
            await response.Body.WriteAsync(frame.AsMemory(0, 5 + length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }
}
