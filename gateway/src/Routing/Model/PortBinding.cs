using System.Collections.Immutable;
using Meshway.Routing.Hosts;

namespace Meshway.Routing.Model;

/// <summary>
/// One socket the data plane listens on (address + port) and the listeners that share it. Listener
/// isolation: a request (by Host) or a TLS handshake (by SNI) belongs to the listener with the most
/// specific matching hostname, and only that listener's routes can serve it.
/// </summary>
public sealed class PortBinding
{
    public PortBinding(string address, int port, ListenerProtocol protocol, ImmutableArray<ListenerModel> listeners)
    {
        Address = address;
        Port = port;
        Protocol = protocol;
        Listeners = listeners.IsDefault ? [] : listeners;
        ListenersByHost = new HostnameTable<ListenerModel>(
            Listeners.Select(l => new KeyValuePair<string, ListenerModel>(l.Hostname ?? "*", l)));
    }

    /// <summary>An IP address literal ("0.0.0.0", "127.0.10.1", "::").</summary>
    public string Address { get; }

    public int Port { get; }

    public ListenerProtocol Protocol { get; }

    public ImmutableArray<ListenerModel> Listeners { get; }

    public HostnameTable<ListenerModel> ListenersByHost { get; }

    /// <summary>"address:port", the identity of the socket across snapshots.</summary>
    public string Key => (Address.Contains(':') ? "[" + Address + "]" : Address) + ":" + Port;
}
