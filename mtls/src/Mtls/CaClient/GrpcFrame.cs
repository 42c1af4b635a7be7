using System.Buffers.Binary;

namespace Meshway.Mtls.CaClient;

/// <summary>
/// gRPC length-prefixed messages (gRPC over HTTP/2 spec): 1 byte compressed flag, 4 bytes
/// big-endian length, then the protobuf bytes. Written by hand because Grpc.Net.Client is not
/// available here; a unary call needs nothing more.
/// </summary>
internal static class GrpcFrame
{
    public const int HeaderLength = 5;

    // Istio certificate responses are a few KiB; anything this large is not a CA talking.
    public const int MaxMessageLength = 4 * 1024 * 1024;

    public static byte[] Write(ReadOnlySpan<byte> message)
    {
        var frame = new byte[HeaderLength + message.Length];
        frame[0] = 0; // not compressed: we never send grpc-encoding
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)message.Length);
        message.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Reads the single message of a unary response body.</summary>
    public static bool TryReadSingle(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> message, out string error)
    {
        message = default;
        if (body.Length < HeaderLength)
        {
            error = body.Length == 0 ? "the response has no message" : $"the response body is {body.Length} bytes, shorter than a gRPC frame header";
            return false;
        }

        var span = body.Span;
        if (span[0] != 0)
        {
            error = span[0] == 1
                ? "the response message is compressed, which we did not ask for"
                : $"the response frame has an invalid compressed flag {span[0]}";
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(1, 4));
        if (length > MaxMessageLength)
        {
            error = $"the response message claims {length} bytes, over the {MaxMessageLength} byte limit";
            return false;
        }

        if (body.Length != HeaderLength + length)
        {
            error = body.Length < HeaderLength + length
                ? $"the response message is truncated ({body.Length - HeaderLength} of {length} bytes)"
                : "the response carries more than one message";
            return false;
        }

        message = body.Slice(HeaderLength, (int)length);
        error = string.Empty;
        return true;
    }
}
