using Meshway.Routing.Model;

namespace Meshway.DataPlane.Listeners;

/// <summary>
/// The identity of one listening socket (address:port) and a cache of the <see cref="PortBinding"/> that
/// describes it in the current snapshot. Requests call <see cref="Resolve"/>: a reference compare when the
/// snapshot has not changed, one scan of the bindings (and one small allocation) when it has.
/// </summary>
internal sealed class BindingSlot
{
    private Resolved _resolved = new(null, null);

    public BindingSlot(string address, int port, ListenerProtocol protocol)
    {
        Address = address;
        Port = port;
        Protocol = protocol;
        Key = (address.Contains(':') ? "[" + address + "]" : address) + ":" + port;
    }

    public string Address { get; }

    public int Port { get; }

    public ListenerProtocol Protocol { get; }

    public string Key { get; }

    public PortBinding? Resolve(RoutingSnapshot snapshot)
    {
        var resolved = Volatile.Read(ref _resolved);
        if (ReferenceEquals(resolved.Snapshot, snapshot))
        {
            return resolved.Binding;
        }

        PortBinding? found = null;
        var bindings = snapshot.Bindings;
        for (var i = 0; i < bindings.Length; i++)
        {
            if (bindings[i].Port == Port && string.Equals(bindings[i].Address, Address, StringComparison.OrdinalIgnoreCase))
            {
                found = bindings[i];
                break;
            }
        }

        // A binding whose protocol changed (HTTP <-> HTTPS) is served by a new socket, never by this one.
        if (found is not null && found.Protocol != Protocol)
        {
            found = null;
        }

        Volatile.Write(ref _resolved, new Resolved(snapshot, found));
        return found;
    }

    private sealed record Resolved(RoutingSnapshot? Snapshot, PortBinding? Binding);
}
