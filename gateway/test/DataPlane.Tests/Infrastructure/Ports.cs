using System.Net;
using System.Net.Sockets;

namespace Meshway.DataPlane.Tests.Infrastructure;

public static class Ports
{
    /// <summary>A port that was free a moment ago on 127.0.0.1 (the OS picks it, so parallel runs do not clash).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port with nothing listening (connections to it are refused).</summary>
    public static int Closed() => Free();
}
