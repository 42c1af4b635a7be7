using Meshway.MeshIntegration.Hbone.Http2;

namespace Meshway.MeshIntegration.Tests.Hbone;

public sealed class HpackTests
{
    [Fact]
    public void Decode_IndexedStatus200_IsReadFromTheStaticTable()
    {
        var fields = new Hpack.Decoder(0).Decode([0x88]);

        Assert.Equal([(":status", (string?)"200")], fields);
    }

    [Fact]
    public void Decode_HuffmanCodedStatus_DecodesDigits()
    {
        // ":status: 503" as a literal with indexed name 8 and a Huffman value: 5=011011 0=00000 3=011001 + 1 pad bit.
        var fields = new Hpack.Decoder(0).Decode([0x08, 0x83, 0x6C, 0x0C, 0xFF]);

        Assert.Equal(":status", fields[0].Name);
        Assert.Equal("503", fields[0].Value);
    }

    [Fact]
    public void Decode_IncrementalIndexing_IsFoundAgainThroughTheDynamicTable()
    {
        var decoder = new Hpack.Decoder(4096);
        // literal with incremental indexing, new name "x-a" value "1"; then indexed 62 (first dynamic entry).
        decoder.Decode([0x40, 0x03, (byte)'x', (byte)'-', (byte)'a', 0x01, (byte)'1']);

        var fields = decoder.Decode([0xBE]);

        Assert.Equal([("x-a", (string?)"1")], fields);
    }

    [Fact]
    public void Decode_IndexBeyondTables_IsACompressionError()
    {
        Assert.Throws<InvalidDataException>(() => new Hpack.Decoder(0).Decode([0xBE]));
    }

    [Fact]
    public void EncodeLiteral_RoundTripsThroughTheDecoder()
    {
        var block = new List<byte>();
        Hpack.EncodeLiteral(block, ":method", "CONNECT");
        Hpack.EncodeLiteral(block, ":authority", "10.0.0.1:8080");
        Hpack.EncodeLiteral(block, "baggage", new string('k', 300));

        var fields = new Hpack.Decoder(0).Decode(block.ToArray());

        Assert.Equal(
            [(":method", (string?)"CONNECT"), (":authority", "10.0.0.1:8080"), ("baggage", new string('k', 300))],
            fields);
    }
}
