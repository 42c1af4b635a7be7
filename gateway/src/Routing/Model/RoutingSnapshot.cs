using System.Collections.Immutable;

namespace Meshway.Routing.Model;

/// <summary>
/// Everything the data plane needs to serve, built whole by translation and swapped atomically. Nothing in
/// it changes after construction; a request reads the current snapshot once and uses it to the end.
/// </summary>
public sealed class RoutingSnapshot
{
    public RoutingSnapshot(ImmutableArray<PortBinding> bindings)
    {
        Bindings = bindings.IsDefault ? [] : bindings;
    }

    public static RoutingSnapshot Empty { get; } = new([]);

    public ImmutableArray<PortBinding> Bindings { get; }
}
