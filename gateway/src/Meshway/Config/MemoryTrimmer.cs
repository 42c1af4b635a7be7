namespace Meshway.Config;

/// <summary>
/// Gives memory back after a big configuration load. Parsing and translating thousands of routes leaves
/// tens of megabytes of garbage that survived into the oldest generation (YAML trees, JSON, the previous
/// snapshot); nothing allocates enough afterwards to make the GC collect it, so the process would keep that
/// RSS for good. Some time after the last big apply (so a burst of changes costs one collection, off the path
/// of any change) this runs one blocking, compacting collection that also returns the freed pages to the OS.
/// Small changes (a route added) do not schedule one: their garbage is small and young.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    private readonly Action _trim;
    private readonly Timer _timer;
    private readonly TimeSpan _delay;
    private int _disposed;

    public MemoryTrimmer(TimeSpan? delay = null, Action? trim = null)
    {
        _delay = delay ?? TimeSpan.FromSeconds(2);
        _trim = trim ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
        _timer = new Timer(_ => Run(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>True when going from <paramref name="before"/> to <paramref name="after"/> objects is worth a trim.</summary>
    public static bool IsBigChange(int before, int after) => Math.Abs(after - before) >= Math.Max(500, before / 10);

    /// <summary>Runs the trim once, <c>delay</c> after the last call (calls in between push it back).</summary>
    public void Schedule()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _timer.Change(_delay, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Run()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _trim();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _timer.Dispose();
        }
    }
}
