using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Meshway.DataPlane.Streams;

/// <summary>What reading the start of a connection as a TLS ClientHello found.</summary>
internal enum ClientHelloStatus
{
    /// <summary>More bytes are needed (the ClientHello may arrive in several TCP segments or TLS records).</summary>
    Incomplete,

    /// <summary>A complete ClientHello with a server_name (SNI) extension.</summary>
    Sni,

    /// <summary>A complete, well-formed ClientHello without SNI.</summary>
    NoSni,

    /// <summary>The bytes are not a TLS handshake record (plain HTTP, SSH, garbage).</summary>
    NotTls,

    /// <summary>TLS framing, but not a parseable ClientHello (bad lengths, wrong message, oversized).</summary>
    Malformed,
}

/// <summary>
/// Reads the SNI out of a TLS ClientHello without consuming or terminating anything (RFC 8446 §4.1.2, RFC 5246
/// §7.4.1.2, RFC 6066 §3). The handshake message may be fragmented over several records and the records over
/// several reads: <see cref="Read"/> is called again with more bytes until it stops answering Incomplete.
/// Every length is checked against what is present, so hostile input ends as NotTls or Malformed, never as an
/// exception or an unbounded buffer.
/// </summary>
internal static class ClientHello
{
    /// <summary>The largest ClientHello we wait for. Real ones are well under 2 KiB (about 1.8 KiB with a post-quantum key share).</summary>
    public const int MaxHandshakeLength = 32 * 1024;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloMessage = 1;
    private const ushort ServerNameExtension = 0;
    private const int MaxRecordLength = (1 << 14) + 2048;

    public static ClientHelloStatus Read(ReadOnlySequence<byte> input, out string? sni)
    {
        sni = null;
        var reader = new SequenceReader<byte>(input);
        byte[]? gathered = null;
        var length = 0;
        try
        {
            while (true)
            {
                if (reader.Remaining < 5)
                {
                    return ClientHelloStatus.Incomplete;
                }

                reader.TryRead(out var type);
                reader.TryRead(out var major);
                reader.Advance(1); // minor version: any (TLS 1.0 record versions are normal in a ClientHello)
                reader.TryReadBigEndian(out short recordLength);
                if (type != HandshakeRecord || major != 3)
                {
                    return length == 0 ? ClientHelloStatus.NotTls : ClientHelloStatus.Malformed;
                }

                if (recordLength <= 0 || recordLength > MaxRecordLength)
                {
                    return ClientHelloStatus.Malformed;
                }

                if (reader.Remaining < recordLength)
                {
                    // Judge the handshake header early, so garbage that merely looks like a record header does
                    // not make us wait out the timeout for bytes that will never make a ClientHello.
                    Span<byte> header = stackalloc byte[4];
                    if (length == 0 && recordLength >= 4 && reader.TryCopyTo(header)
                        && (header[0] != ClientHelloMessage || ((header[1] << 16) | (header[2] << 8) | header[3]) > MaxHandshakeLength))
                    {
                        return ClientHelloStatus.Malformed;
                    }

                    return ClientHelloStatus.Incomplete;
                }

                gathered ??= ArrayPool<byte>.Shared.Rent(MaxHandshakeLength + 4);
                if (length + recordLength > gathered.Length)
                {
                    return ClientHelloStatus.Malformed;
                }

                reader.TryCopyTo(gathered.AsSpan(length, recordLength));
                reader.Advance(recordLength);
                length += recordLength;
                if (length < 4)
                {
                    continue;
                }

                if (gathered[0] != ClientHelloMessage)
                {
                    return ClientHelloStatus.Malformed;
                }

                var messageLength = (gathered[1] << 16) | (gathered[2] << 8) | gathered[3];
                if (messageLength > MaxHandshakeLength)
                {
                    return ClientHelloStatus.Malformed;
                }

                if (length >= 4 + messageLength)
                {
                    return Parse(gathered.AsSpan(4, messageLength), out sni);
                }
            }
        }
        finally
        {
            if (gathered is not null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }
    }

    /// <summary>The ClientHello body: version, random, session id, cipher suites, compression methods, extensions.</summary>
    private static ClientHelloStatus Parse(ReadOnlySpan<byte> hello, out string? sni)
    {
        sni = null;
        var p = 2 + 32; // legacy_version, random
        if (!Skip(hello, ref p, 1) || !Skip(hello, ref p, 2) || !Skip(hello, ref p, 1))
        {
            return ClientHelloStatus.Malformed;
        }

        if (p == hello.Length)
        {
            return ClientHelloStatus.NoSni; // an SSL 3.0-style hello without extensions
        }

        if (p + 2 > hello.Length)
        {
            return ClientHelloStatus.Malformed;
        }

        var extensionsLength = BinaryPrimitives.ReadUInt16BigEndian(hello[p..]);
        p += 2;
        if (p + extensionsLength > hello.Length)
        {
            return ClientHelloStatus.Malformed;
        }

        var extensions = hello.Slice(p, extensionsLength);
        var q = 0;
        while (q + 4 <= extensions.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(extensions[q..]);
            var size = BinaryPrimitives.ReadUInt16BigEndian(extensions[(q + 2)..]);
            q += 4;
            if (q + size > extensions.Length)
            {
                return ClientHelloStatus.Malformed;
            }

            if (type == ServerNameExtension)
            {
                return ParseServerName(extensions.Slice(q, size), out sni);
            }

            q += size;
        }

        return q == extensions.Length ? ClientHelloStatus.NoSni : ClientHelloStatus.Malformed;
    }

    /// <summary>server_name_list: entries of (name_type, opaque name); the host_name (type 0) one is the SNI.</summary>
    private static ClientHelloStatus ParseServerName(ReadOnlySpan<byte> data, out string? sni)
    {
        sni = null;
        if (data.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(data) != data.Length - 2)
        {
            return ClientHelloStatus.Malformed;
        }

        var p = 2;
        while (p + 3 <= data.Length)
        {
            var nameType = data[p];
            var nameLength = BinaryPrimitives.ReadUInt16BigEndian(data[(p + 1)..]);
            p += 3;
            if (p + nameLength > data.Length)
            {
                return ClientHelloStatus.Malformed;
            }

            if (nameType == 0)
            {
                var name = data.Slice(p, nameLength);
                if (name.Length == 0 || name.Length > 255)
                {
                    return ClientHelloStatus.Malformed;
                }

                foreach (var b in name)
                {
                    // A DNS name in ASCII (RFC 6066: no trailing dot required, IDNs as A-labels).
                    if (b <= 0x20 || b >= 0x7f)
                    {
                        return ClientHelloStatus.Malformed;
                    }
                }

                sni = Encoding.ASCII.GetString(name);
                return ClientHelloStatus.Sni;
            }

            p += nameLength;
        }

        return ClientHelloStatus.NoSni;
    }

    /// <summary>Skips a vector with a 1- or 2-byte length prefix.</summary>
    private static bool Skip(ReadOnlySpan<byte> data, ref int p, int prefix)
    {
        if (p + prefix > data.Length)
        {
            return false;
        }

        var length = prefix == 1 ? data[p] : BinaryPrimitives.ReadUInt16BigEndian(data[p..]);
        p += prefix + length;
        return p <= data.Length;
    }
}
