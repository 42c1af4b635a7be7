using System.Globalization;
using Meshway.Kubernetes.Models;

namespace Meshway.Waypoint.Selection;

/// <summary>
/// Istio's sandwich binding: <c>ambient.istio.io/waypoint-inbound-binding: PROXY/15088</c> on the Gateway, else
/// on its GatewayClass, asks the waypoint to also accept plaintext from the node's ztunnel on that port, each
/// connection opened by a PROXY protocol v2 header (client identity in TLV 0xD0). Only the PROXY protocol is
/// known; any other value is ignored, as Istio does.
/// </summary>
public static class InboundBinding
{
    public const string Annotation = "ambient.istio.io/waypoint-inbound-binding";

    public static int? ProxyPortOf(Gateway gateway, GatewayClass? gatewayClass)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var value = gateway.Metadata.Annotations?.GetValueOrDefault(Annotation)
            ?? gatewayClass?.Metadata.Annotations?.GetValueOrDefault(Annotation);
        return Parse(value);
    }

    /// <summary>"PROXY/PORT" with PORT in 1..65535, else null.</summary>
    public static int? Parse(string? value)
    {
        if (value is null || !value.StartsWith("PROXY/", StringComparison.Ordinal))
        {
            return null;
        }

        return int.TryParse(value.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : null;
    }
}
