using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.Routing.Model;

/// <summary>
/// Client certificate validation of an HTTPS listener (GEP-91, from the Gateway's spec.tls.frontend for the
/// listener's port): the CAs a client certificate must chain to, and whether a client without a valid one
/// is still served (AllowInsecureFallback) or refused at the handshake (AllowValidOnly).
/// </summary>
public sealed class ClientValidationModel
{
    public ClientValidationModel(ImmutableArray<X509Certificate2> caCertificates, bool allowInsecureFallback, string source)
    {
        CaCertificates = caCertificates.IsDefault ? [] : caCertificates;
        AllowInsecureFallback = allowInsecureFallback;
        Source = source;
    }

    public ImmutableArray<X509Certificate2> CaCertificates { get; }

    public bool AllowInsecureFallback { get; }

    /// <summary>Where it came from ("default" or "port 8443"), for logs and snapshot dumps.</summary>
    public string Source { get; }
}
