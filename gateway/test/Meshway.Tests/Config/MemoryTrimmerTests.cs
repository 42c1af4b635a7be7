using Meshway.Config;

namespace Meshway.Tests.Config;

public sealed class MemoryTrimmerTests
{
    [Fact]
    public async Task ABurstOfSchedules_TrimsOnce_AfterTheLastOne()
    {
        var trims = 0;
        using var trimmer = new MemoryTrimmer(TimeSpan.FromMilliseconds(1500), () => Interlocked.Increment(ref trims));
        var last = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            trimmer.Schedule();
            last.Restart();
            await Task.Delay(50);
        }

        var observed = Volatile.Read(ref trims);
        if (last.Elapsed < TimeSpan.FromMilliseconds(1200))
        {
            Assert.Equal(0, observed); // still inside the window the last call opened (checked only if this machine kept up)
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Volatile.Read(ref trims) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(500);
        Assert.Equal(1, Volatile.Read(ref trims));
    }

    [Fact]
    public async Task AfterDispose_NothingRuns()
    {
        var trims = 0;
        var trimmer = new MemoryTrimmer(TimeSpan.FromMilliseconds(50), () => Interlocked.Increment(ref trims));
        trimmer.Schedule();
        trimmer.Dispose();
        trimmer.Schedule();
        await Task.Delay(300);
        Assert.Equal(0, Volatile.Read(ref trims));
    }

    [Theory]
    [InlineData(0, 5003, true)]      // the first load of a big config
    [InlineData(5003, 5004, false)]  // one route added
    [InlineData(5003, 4000, true)]   // a fifth of the config removed
    [InlineData(10, 40, false)]      // small configs never need it
    public void IsBigChange_OnlyForLargeSwings(int before, int after, bool expected) =>
        Assert.Equal(expected, MemoryTrimmer.IsBigChange(before, after));
}
