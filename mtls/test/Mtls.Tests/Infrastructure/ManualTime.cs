namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>A clock fixed at a given instant (for certificates issued in the past or future).</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
