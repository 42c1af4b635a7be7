namespace Meshway.MeshIntegration.Tests.Infrastructure;

/// <summary>
/// Distinct loopback addresses per test: pods in 127.0.10.x, service VIPs in 127.0.20.x. The start
/// is random so parallel runs (other helpers, other test classes) rarely pick the same one.
/// </summary>
public static class LoopbackAddresses
{
    private static int _pod = Random.Shared.Next(0, 240);
    private static int _vip = Random.Shared.Next(0, 240);

    public static string NextPod() => "127.0.10." + (2 + (Interlocked.Increment(ref _pod) % 250));

    public static string NextVip() => "127.0.20." + (2 + (Interlocked.Increment(ref _vip) % 250));
}
