namespace Meshway.Waypoint.Model;

/// <summary>The served <see cref="WaypointSnapshot"/>, swapped atomically; each tunnel reads it once when it opens.</summary>
public sealed class WaypointStore
{
    private WaypointSnapshot _current = WaypointSnapshot.Empty;

    public WaypointSnapshot Current => Volatile.Read(ref _current);

    public void Publish(WaypointSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
    }
}
