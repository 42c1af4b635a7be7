namespace Meshway.Routing.Backends;

/// <summary>One ready endpoint of a Service port, from an EndpointSlice: an IP address and the target port.</summary>
public sealed record EndpointModel(string Address, int Port)
{
    /// <summary>"address:port" ([v6]:port for IPv6): the key the data plane keeps per-endpoint state under.</summary>
    public string Key { get; } = (Address.Contains(':') ? "[" + Address + "]" : Address) + ":" + Port;

    public override string ToString() => Key;
}
