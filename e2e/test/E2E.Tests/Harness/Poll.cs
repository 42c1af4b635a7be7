using System.Diagnostics;

namespace Meshway.E2E.Tests.Harness;

/// <summary>Bounded waiting for something the gateway does asynchronously (a reload, a status update).</summary>
public static class Poll
{
    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds or <paramref name="timeout"/> passes;
    /// returns the satisfying value and how long it took, or fails with the last value seen.
    /// </summary>
    public static async Task<(T Value, TimeSpan Elapsed)> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, int intervalMs = 20)
    {
        var clock = Stopwatch.StartNew();
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return (last, clock.Elapsed);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
            {
                lastError = e;
            }

            if (clock.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not true within {timeout.TotalSeconds:0.#}s; last value: {(lastError is null ? last : lastError.Message)}");
            }

            await Task.Delay(intervalMs);
        }
    }
}
