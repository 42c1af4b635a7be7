using System.Globalization;
using System.Net;
using Meshway.Mtls.Identity;

namespace Meshway.MeshIntegration.Hbone;

/// <summary>
/// Where one HBONE tunnel goes: the pod (its IP, reached on <see cref="HbonePort"/>), the port inside
/// the pod the CONNECT names, and the identity the pod's server certificate must carry
/// (<c>spiffe://&lt;td&gt;/ns/&lt;ns&gt;/sa/&lt;serviceAccount&gt;</c>).
/// </summary>
public sealed record HboneTarget(IPAddress Address, int TargetPort, SpiffeId Identity, int HbonePort = HboneTarget.DefaultPort)
{
    public const int DefaultPort = 15008;

    /// <summary>The CONNECT <c>:authority</c>: podIP:targetPort ([v6]:port for IPv6).</summary>
    public string Authority => FormatEndpoint(Address, TargetPort);

    /// <summary>The pool key: one HTTP/2 connection per pod address, HBONE port and identity.</summary>
    internal string PoolKey => FormatEndpoint(Address, HbonePort) + "|" + Identity;

    internal static string FormatEndpoint(IPAddress address, int port)
    {
        var text = address.ToString();
        return (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + text + "]" : text)
            + ":" + port.ToString(CultureInfo.InvariantCulture);
    }
}
