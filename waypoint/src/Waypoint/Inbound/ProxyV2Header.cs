using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// A PROXY protocol v2 header as ztunnel sends it to a sandwiched waypoint (haproxy's proxy-protocol.txt §2.2):
/// the 12-byte signature, version 2 with the PROXY command, TCP over IPv4 or IPv6, source and destination
/// address and port, then TLVs; 0xD0 (Istio's PROXY_PROTOCOL_PEER_IDENTITY) carries the client's SPIFFE ID.
/// Parsing is strict: anything else (v1 text, LOCAL, UDP/UNIX, lengths that do not add up, a TLV running past
/// the header, no peer identity) is refused, because the bytes after the header are routed by what it says.
/// </summary>
internal sealed record ProxyV2Header(IPEndPoint Source, IPEndPoint Destination, string PeerIdentity)
{
    public const int FixedLength = 16;

    /// <summary>Istio's TLV type for the peer identity (ztunnel's PROXY_PROTOCOL_AUTHORITY_TLV).</summary>
    public const byte PeerIdentityTlv = 0xD0;

    /// <summary>Upper bound of the variable part we accept: addresses plus a few TLVs, never kilobytes.</summary>
    public const int MaxPayloadLength = 2048;

    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Checks the fixed 16 bytes; returns the length of the rest, or an error.</summary>
    public static int PayloadLength(ReadOnlySpan<byte> fixedPart, out string? error)
    {
        error = null;
        if (fixedPart.Length < FixedLength || !fixedPart[..12].SequenceEqual(Signature))
        {
            error = "not a PROXY v2 signature";
            return -1;
        }

        if (fixedPart[12] != 0x21)
        {
            error = fixedPart[12] == 0x20 ? "LOCAL command (no client to attribute)" : $"version/command 0x{fixedPart[12]:x2} is not v2 PROXY";
            return -1;
        }

        if (fixedPart[13] is not (0x11 or 0x21))
        {
            error = $"family/transport 0x{fixedPart[13]:x2} is not TCP over IPv4 or IPv6";
            return -1;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..16]);
        var addresses = fixedPart[13] == 0x11 ? 12 : 36;
        if (length < addresses || length > MaxPayloadLength)
        {
            error = $"length {length} does not fit the addresses ({addresses}) or exceeds {MaxPayloadLength}";
            return -1;
        }

        return length;
    }

    /// <summary>Parses the variable part (addresses and TLVs) after a fixed part <see cref="PayloadLength"/> accepted.</summary>
    public static ProxyV2Header? Parse(ReadOnlySpan<byte> fixedPart, ReadOnlySpan<byte> payload, out string? error)
    {
        error = null;
        var v4 = fixedPart[13] == 0x11;
        var size = v4 ? 4 : 16;
        var source = new IPAddress(payload[..size]);
        var destination = new IPAddress(payload[size..(2 * size)]);
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(payload[(2 * size)..]);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(payload[(2 * size + 2)..]);
        if (destinationPort == 0)
        {
            error = "destination port 0";
            return null;
        }

        string? identity = null;
        var tlvs = payload[(2 * size + 4)..];
        while (tlvs.Length > 0)
        {
            if (tlvs.Length < 3)
            {
                error = "truncated TLV";
                return null;
            }

            var type = tlvs[0];
            var length = BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..3]);
            if (tlvs.Length < 3 + length)
            {
                error = $"TLV 0x{type:x2} of length {length} runs past the header";
                return null;
            }

            if (type == PeerIdentityTlv)
            {
                if (identity is not null)
                {
                    error = "two peer identity TLVs";
                    return null;
                }

                try
                {
                    identity = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(tlvs.Slice(3, length));
                }
                catch (DecoderFallbackException)
                {
                    error = "peer identity is not UTF-8";
                    return null;
                }
            }

            tlvs = tlvs[(3 + length)..];
        }

        if (identity is null)
        {
            error = "no peer identity TLV (0xD0)";
            return null;
        }

        return new ProxyV2Header(new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort), identity);
    }
}
