using System.Text;

namespace Meshway.MeshIntegration.Hbone.Http2;

/// <summary>
/// The slice of HPACK (RFC 7541) an HBONE client needs. Encoding: every field as a literal without
/// indexing, no Huffman, the name indexed when the static table has it; that is always valid and keeps
/// no state. Decoding: static and dynamic tables, all representations; Huffman-coded strings are
/// decoded only when they consist of digits (enough for <c>:status</c>), other Huffman values are
/// kept as null, because a CONNECT response carries nothing else we act on.
/// </summary>
internal static class Hpack
{
    /// <summary>RFC 7541 Appendix A, 1-based.</summary>
    internal static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    /// <summary>Appends one field as "literal header field without indexing" (RFC 7541 §6.2.2).</summary>
    public static void EncodeLiteral(List<byte> output, string name, string value)
    {
        var nameIndex = 0;
        for (var i = 0; i < StaticTable.Length; i++)
        {
            if (StaticTable[i].Name == name)
            {
                nameIndex = i + 1;
                break;
            }
        }

        EncodeInteger(output, 0x00, 4, nameIndex);
        if (nameIndex == 0)
        {
            EncodeString(output, name);
        }

        EncodeString(output, value);
    }

    internal static void EncodeInteger(List<byte> output, byte prefixBits, int prefixLength, int value)
    {
        var max = (1 << prefixLength) - 1;
        if (value < max)
        {
            output.Add((byte)(prefixBits | value));
            return;
        }

        output.Add((byte)(prefixBits | max));
        value -= max;
        while (value >= 0x80)
        {
            output.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    private static void EncodeString(List<byte> output, string value)
    {
        var bytes = Encoding.Latin1.GetBytes(value);
        EncodeInteger(output, 0x00, 7, bytes.Length);
        output.AddRange(bytes);
    }

    /// <summary>
    /// Decoder state of one connection: the dynamic table the peer's encoder fills. Header blocks must be
    /// decoded in the order they arrive, on the one reader thread.
    /// </summary>
    internal sealed class Decoder
    {
        private readonly List<(string Name, string? Value)> _dynamic = []; // newest first
        private int _size;
        private int _maxSize;

        public Decoder(int maxTableSize)
        {
            _maxSize = maxTableSize;
        }

        /// <summary>Decodes a whole header block; a value that could not be decoded (non-digit Huffman) is null.</summary>
        /// <exception cref="InvalidDataException">The block is malformed (a COMPRESSION_ERROR).</exception>
        public List<(string Name, string? Value)> Decode(ReadOnlySpan<byte> block)
        {
            var fields = new List<(string Name, string? Value)>();
            var pos = 0;
            while (pos < block.Length)
            {
                var b = block[pos];
                if ((b & 0x80) != 0)
                {
                    var index = DecodeInteger(block, ref pos, 7);
                    fields.Add(Lookup(index));
                }
                else if ((b & 0xC0) == 0x40)
                {
                    var field = DecodeLiteral(block, ref pos, 6);
                    fields.Add(field);
                    Insert(field);
                }
                else if ((b & 0xE0) == 0x20)
                {
                    var size = DecodeInteger(block, ref pos, 5);
                    _maxSize = size;
                    Evict(0);
                }
                else
                {
                    // Without indexing (0000xxxx) or never indexed (0001xxxx): both have a 4-bit prefix.
                    fields.Add(DecodeLiteral(block, ref pos, 4));
                }
            }

            return fields;
        }

        private (string Name, string? Value) DecodeLiteral(ReadOnlySpan<byte> block, ref int pos, int prefix)
        {
            var index = DecodeInteger(block, ref pos, prefix);
            var name = index == 0 ? DecodeString(block, ref pos) ?? throw new InvalidDataException("Huffman-coded header name") : Lookup(index).Name;
            var value = DecodeString(block, ref pos);
            return (name, value);
        }

        private (string Name, string? Value) Lookup(int index)
        {
            if (index <= 0)
            {
                throw new InvalidDataException("HPACK index 0");
            }

            if (index <= StaticTable.Length)
            {
                return StaticTable[index - 1];
            }

            var dynamicIndex = index - StaticTable.Length - 1;
            if (dynamicIndex >= _dynamic.Count)
            {
                throw new InvalidDataException($"HPACK index {index} is outside the table");
            }

            return _dynamic[dynamicIndex];
        }

        private void Insert((string Name, string? Value) field)
        {
            // Entry size is name + value + 32 (RFC 7541 §4.1); an undecoded value counts as empty, which
            // can only make our table keep an entry the peer already evicted, never lose one it has.
            var size = field.Name.Length + (field.Value?.Length ?? 0) + 32;
            if (size > _maxSize)
            {
                _dynamic.Clear();
                _size = 0;
                return;
            }

            Evict(size);
            _dynamic.Insert(0, field);
            _size += size;
        }

        private void Evict(int room)
        {
            while (_dynamic.Count > 0 && _size + room > _maxSize)
            {
                var last = _dynamic[^1];
                _size -= last.Name.Length + (last.Value?.Length ?? 0) + 32;
                _dynamic.RemoveAt(_dynamic.Count - 1);
            }
        }

        internal static int DecodeInteger(ReadOnlySpan<byte> block, ref int pos, int prefix)
        {
            var max = (1 << prefix) - 1;
            var value = block[pos++] & max;
            if (value < max)
            {
                return value;
            }

            var shift = 0;
            while (true)
            {
                if (pos >= block.Length || shift > 28)
                {
                    throw new InvalidDataException("HPACK integer is truncated or too large");
                }

                var b = block[pos++];
                value += (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }

                shift += 7;
            }
        }

        private static string? DecodeString(ReadOnlySpan<byte> block, ref int pos)
        {
            if (pos >= block.Length)
            {
                throw new InvalidDataException("HPACK string is truncated");
            }

            var huffman = (block[pos] & 0x80) != 0;
            var length = DecodeInteger(block, ref pos, 7);
            if (length > block.Length - pos)
            {
                throw new InvalidDataException("HPACK string is truncated");
            }

            var bytes = block.Slice(pos, length);
            pos += length;
            return huffman ? HuffmanDigits(bytes) : Encoding.Latin1.GetString(bytes);
        }

        /// <summary>
        /// Huffman-decodes a string made only of digits (codes 0-2 are 5 bits 00000-00010, 3-9 are 6 bits
        /// 011001-011111, RFC 7541 Appendix B); anything else returns null. Padding is up to 7 one-bits.
        /// </summary>
        internal static string? HuffmanDigits(ReadOnlySpan<byte> bytes)
        {
            var text = new StringBuilder(bytes.Length * 2);
            ulong bits = 0;
            var count = 0;
            var index = 0;
            while (true)
            {
                while (count < 6 && index < bytes.Length)
                {
                    bits = (bits << 8) | bytes[index++];
                    count += 8;
                }

                if (count == 0)
                {
                    return text.ToString();
                }

                if (index == bytes.Length && count < 8)
                {
                    // Possibly padding: the remaining bits must all be ones (the EOS prefix).
                    var rest = bits & ((1UL << count) - 1);
                    if (rest == (1UL << count) - 1)
                    {
                        return text.ToString();
                    }
                }

                if (count >= 5)
                {
                    var five = (int)((bits >> (count - 5)) & 0x1F);
                    if (five <= 2)
                    {
                        text.Append((char)('0' + five));
                        count -= 5;
                        continue;
                    }
                }

                if (count >= 6)
                {
                    var six = (int)((bits >> (count - 6)) & 0x3F);
                    if (six is >= 0x19 and <= 0x1F)
                    {
                        text.Append((char)('3' + (six - 0x19)));
                        count -= 6;
                        continue;
                    }
                }

                return null;
            }
        }
    }
}
