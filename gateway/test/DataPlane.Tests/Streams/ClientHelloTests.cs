using System.Buffers;
using System.Net.Security;
using System.Text;
using Meshway.DataPlane.Streams;

namespace Meshway.DataPlane.Tests.Streams;

public sealed class ClientHelloTests
{
    /// <summary>The ClientHello .NET's own TLS client sends for <paramref name="targetHost"/> (real bytes, not hand-made).</summary>
    internal static async Task<byte[]> RealClientHelloAsync(string targetHost)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture);
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }));
        Assert.True(capture.Written.Length > 50);
        return capture.Written.ToArray();
    }

    [Fact]
    public async Task Read_ARealClientHello_FindsItsSni()
    {
        var hello = await RealClientHelloAsync("db.example.com");

        Assert.Equal(ClientHelloStatus.Sni, ClientHello.Read(new ReadOnlySequence<byte>(hello), out var sni));
        Assert.Equal("db.example.com", sni);
    }

    [Fact]
    public async Task Read_EveryProperPrefix_IsIncomplete_SoASplitHelloWaitsForMore()
    {
        var hello = await RealClientHelloAsync("db.example.com");

        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.Incomplete, ClientHello.Read(new ReadOnlySequence<byte>(hello, 0, length), out _));
        }
    }

    [Fact]
    public async Task Read_AHelloInManySegments_FindsItsSni()
    {
        var hello = await RealClientHelloAsync("split.example.com");

        Assert.Equal(ClientHelloStatus.Sni, ClientHello.Read(Segmented(hello, 7), out var sni));
        Assert.Equal("split.example.com", sni);
    }

    [Fact]
    public async Task Read_AHelloFragmentedOverTwoRecords_FindsItsSni()
    {
        var hello = await RealClientHelloAsync("frag.example.com");
        var body = hello.AsSpan(5).ToArray(); // the handshake message, out of its one record
        var cut = 40;
        var twoRecords = Record(body.AsSpan(0, cut)).Concat(Record(body.AsSpan(cut))).ToArray();

        Assert.Equal(ClientHelloStatus.Incomplete, ClientHello.Read(new ReadOnlySequence<byte>(twoRecords, 0, 5 + cut), out _));
        Assert.Equal(ClientHelloStatus.Sni, ClientHello.Read(new ReadOnlySequence<byte>(twoRecords), out var sni));
        Assert.Equal("frag.example.com", sni);
    }

    [Fact]
    public async Task Read_AHelloToAnIpAddress_HasNoSni()
    {
        // TLS clients send no SNI for an IP address (RFC 6066 §3).
        var hello = await RealClientHelloAsync("127.0.0.1");

        Assert.Equal(ClientHelloStatus.NoSni, ClientHello.Read(new ReadOnlySequence<byte>(hello), out var sni));
        Assert.Null(sni);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("\u0015\u0003\u0001\u0000\u0002\u0002\u0028")] // a TLS alert record, not a handshake
    public void Read_NonTlsBytes_IsNotTls(string text)
    {
        Assert.Equal(ClientHelloStatus.NotTls, ClientHello.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), out _));
    }

    [Fact]
    public async Task Read_BadLengthsAndWrongMessages_AreMalformed()
    {
        var hello = await RealClientHelloAsync("db.example.com");

        var serverHello = (byte[])hello.Clone();
        serverHello[5] = 2; // handshake type ServerHello
        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.Read(new ReadOnlySequence<byte>(serverHello), out _));

        var zeroRecord = new byte[] { 22, 3, 1, 0, 0 };
        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.Read(new ReadOnlySequence<byte>(zeroRecord), out _));

        var huge = new byte[] { 22, 3, 1, 0x10, 0x00, 1, 0xff, 0xff, 0xff };
        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.Read(new ReadOnlySequence<byte>(huge), out _));

        var badExtensions = (byte[])hello.Clone();
        // Lie about the extensions' total length: it must not read past the message.
        var p = 5 + 4 + 2 + 32;
        p += 1 + badExtensions[p];
        p += 2 + ((badExtensions[p] << 8) | badExtensions[p + 1]);
        p += 1 + badExtensions[p];
        badExtensions[p] = 0xff;
        badExtensions[p + 1] = 0xff;
        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.Read(new ReadOnlySequence<byte>(badExtensions), out _));
    }

    [Fact]
    public async Task Read_RandomCorruption_NeverThrows()
    {
        var hello = await RealClientHelloAsync("fuzz.example.com");
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var copy = (byte[])hello.Clone();
            for (var j = 0; j < 1 + random.Next(4); j++)
            {
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
            }

            var status = ClientHello.Read(new ReadOnlySequence<byte>(copy, 0, random.Next(copy.Length + 1)), out var sni);
            Assert.True(status != ClientHelloStatus.Sni || sni is { Length: > 0 });
        }
    }

    private static byte[] Record(ReadOnlySpan<byte> fragment)
    {
        var record = new byte[5 + fragment.Length];
        record[0] = 22;
        record[1] = 3;
        record[2] = 1;
        record[3] = (byte)(fragment.Length >> 8);
        record[4] = (byte)fragment.Length;
        fragment.CopyTo(record.AsSpan(5));
        return record;
    }

    private static ReadOnlySequence<byte> Segmented(byte[] data, int size)
    {
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < data.Length; offset += size)
        {
            var segment = new Segment(data.AsMemory(offset, Math.Min(size, data.Length - offset)));
            if (first is null)
            {
                first = last = segment;
            }
            else
            {
                last = last!.Append(segment);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }

    /// <summary>Keeps what the TLS client writes; reading fails, which ends the handshake after the ClientHello.</summary>
    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("capture only");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("capture only"));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
