using Meshway.Mtls.CaClient;

namespace Meshway.Mtls.Tests.CaClient;

public class GrpcFrameTests
{
    [Fact]
    public void Write_PrefixesFlagAndBigEndianLength()
    {
        var frame = GrpcFrame.Write(new byte[] { 0xAA, 0xBB, 0xCC });
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC }, frame);
    }

    [Fact]
    public void TryReadSingle_RoundTripsWrite()
    {
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        Assert.True(GrpcFrame.TryReadSingle(GrpcFrame.Write(payload), out var message, out _));
        Assert.Equal(payload, message.ToArray());
    }

    [Theory]
    [InlineData(new byte[0], "no message")]
    [InlineData(new byte[] { 0, 0, 0 }, "shorter than a gRPC frame header")]
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 9 }, "compressed")]
    [InlineData(new byte[] { 0, 0, 0, 0, 5, 1, 2 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 }, "more than one message")]
    [InlineData(new byte[] { 0, 0x7F, 0, 0, 0 }, "byte limit")]
    public void TryReadSingle_Malformed_SaysWhy(byte[] body, string reason)
    {
        Assert.False(GrpcFrame.TryReadSingle(body, out _, out var error));
        Assert.Contains(reason, error);
    }
}
