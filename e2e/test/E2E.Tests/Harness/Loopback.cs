using System.Net;
using System.Net.Sockets;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// Hands every scenario its own /24 inside 127.0.0.0/8 (gateway on .1, pods from .10) so scenarios running
/// in parallel, and parallel runs of the suite, never share an address:port. The second octet is random
/// per run; the third counts scenarios.
/// </summary>
public static class Loopback
{
    private static readonly int RunOctet = Random.Shared.Next(20, 250);
    private static int _scenarios;

    public static string AllocateSubnet()
    {
        var n = Interlocked.Increment(ref _scenarios);
        var second = RunOctet + (n / 250);
        if (second > 254)
        {
            second -= 230;
        }

        return $"127.{second}.{(n % 250) + 1}";
    }

    /// <summary>A port that was free on <paramref name="address"/> a moment ago (the OS picks an ephemeral one).</summary>
    public static int FreePort(string address)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
