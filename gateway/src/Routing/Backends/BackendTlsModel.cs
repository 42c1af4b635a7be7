using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.Routing.Backends;

/// <summary>
/// TLS origination to a backend, from a BackendTLSPolicy: the SNI to send, the roots to verify the chain
/// against (empty = the platform's trusted roots, wellKnownCACertificates: System) and the names the
/// server certificate must carry (the SNI hostname when the policy lists no subjectAltNames).
/// </summary>
public sealed class BackendTlsModel
{
    public BackendTlsModel(
        string hostname,
        ImmutableArray<X509Certificate2> caCertificates,
        ImmutableArray<string> dnsNames,
        ImmutableArray<string> uris,
        string policy)
    {
        Hostname = hostname;
        CaCertificates = caCertificates.IsDefault ? [] : caCertificates;
        DnsNames = dnsNames.IsDefault ? [] : dnsNames;
        Uris = uris.IsDefault ? [] : uris;
        Policy = policy;
    }

    /// <summary>SNI, and the expected name when <see cref="DnsNames"/> and <see cref="Uris"/> are empty.</summary>
    public string Hostname { get; }

    /// <summary>Trust anchors; empty means the system roots.</summary>
    public ImmutableArray<X509Certificate2> CaCertificates { get; }

    /// <summary>subjectAltNames of type Hostname (any one must match a DNS SAN of the server).</summary>
    public ImmutableArray<string> DnsNames { get; }

    /// <summary>subjectAltNames of type URI (any one must match a URI SAN of the server).</summary>
    public ImmutableArray<string> Uris { get; }

    /// <summary>"namespace/name" of the BackendTLSPolicy (logs, config dump).</summary>
    public string Policy { get; }

    /// <summary>A key that is equal for equal settings, so connection pools survive config reloads.</summary>
    public string Key => field ??= string.Join('|',
        Hostname,
        string.Join(',', CaCertificates.Select(c => c.Thumbprint)),
        string.Join(',', DnsNames),
        string.Join(',', Uris));
}
