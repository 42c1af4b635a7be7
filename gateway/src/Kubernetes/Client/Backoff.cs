namespace Meshway.Kubernetes.Client;

/// <summary>
/// Exponential backoff with jitter for reconnects: each failure doubles the delay up to a cap, and the actual
/// wait is drawn from [delay/2, delay] so that many clients cut off together (an API server restart) do not
/// come back in lock-step.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public Backoff(TimeSpan initial, TimeSpan max)
    {
        _initial = initial;
        _max = max;
        _next = initial;
    }

    public static Backoff Default() => new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));

    /// <summary>The next wait (jittered), and doubles the one after it.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        var doubled = current.Ticks * 2;
        _next = doubled > _max.Ticks ? _max : TimeSpan.FromTicks(doubled);
        var half = current.Ticks / 2;
        return TimeSpan.FromTicks(half + (long)(Random.Shared.NextDouble() * (current.Ticks - half)));
    }

    /// <summary>After a success: start small again.</summary>
    public void Reset() => _next = _initial;
}
