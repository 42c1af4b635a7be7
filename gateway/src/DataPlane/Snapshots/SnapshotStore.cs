using Meshway.Routing.Model;

namespace Meshway.DataPlane.Snapshots;

/// <summary>
/// Holds the snapshot the data plane serves. Readers take <see cref="Current"/> once per request (a volatile
/// read, no lock) and keep that object to the end of the request, so a swap never changes a request halfway.
/// Writers publish whole snapshots; subscribers (the listener manager, the endpoint balancer) react after the swap.
/// </summary>
public sealed class SnapshotStore
{
    private RoutingSnapshot _current = RoutingSnapshot.Empty;
    private long _version;

    /// <summary>Raised after each swap, on the publishing thread; handlers must not throw.</summary>
    public event Action<RoutingSnapshot>? Changed;

    public RoutingSnapshot Current => Volatile.Read(ref _current);

    /// <summary>How many snapshots were published (0 = none yet).</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Publish(RoutingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
        Interlocked.Increment(ref _version);
        Changed?.Invoke(snapshot);
    }
}
