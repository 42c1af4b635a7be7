namespace Meshway.Kubernetes.Tests.Client;

internal static class Wait
{
    /// <summary>Generous by default: the test machine is shared with other builds. Polls until <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for: " + what);
            }

            await Task.Delay(20);
        }
    }
}
