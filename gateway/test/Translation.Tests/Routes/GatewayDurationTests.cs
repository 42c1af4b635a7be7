using Meshway.Translation.Routes;

namespace Meshway.Translation.Tests.Routes;

public sealed class GatewayDurationTests
{
    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h2m", 3_720_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("0s", 0)]
    [InlineData("99999ms", 99_999)]
    [InlineData("1m1ms", 60_001)]
    public void TryParse_ValidDurations(string text, long milliseconds)
    {
        Assert.True(GatewayDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1d")]
    [InlineData("1.5s")]
    [InlineData("-1s")]
    [InlineData("100000s")]
    [InlineData("1h1m1s1ms1h")]
    [InlineData("s")]
    [InlineData("1 s")]
    [InlineData("1sm")]
    public void TryParse_RejectsWhatTheSpecRejects(string text)
    {
        Assert.False(GatewayDuration.TryParse(text, out _));
    }
}
