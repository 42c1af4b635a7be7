using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace Meshway.Mtls.Identity;

/// <summary>
/// An Istio workload identity, <c>spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>.
/// Only this Kubernetes form is accepted: Istio signs nothing else, and a narrower grammar means a
/// malformed SAN can never compare equal to a real identity.
/// </summary>
public readonly struct SpiffeId : IEquatable<SpiffeId>
{
    /// <summary>Istio's default trust domain (TRUST_DOMAIN).</summary>
    public const string DefaultTrustDomain = "cluster.local";

    private const string Scheme = "spiffe://";

    private SpiffeId(string trustDomain, string ns, string serviceAccount)
    {
        TrustDomain = trustDomain;
        Namespace = ns;
        ServiceAccount = serviceAccount;
    }

    public string TrustDomain { get; }

    public string Namespace { get; }

    public string ServiceAccount { get; }

    /// <summary>True for <c>default(SpiffeId)</c>, which names nobody.</summary>
    public bool IsEmpty => TrustDomain is null;

    /// <summary>Builds an identity from its parts, validating each.</summary>
    public static SpiffeId Create(string trustDomain, string ns, string serviceAccount)
    {
        if (!IsValidTrustDomain(trustDomain))
        {
            throw new ArgumentException($"'{trustDomain}' is not a valid trust domain (lowercase letters, digits, '.', '-', '_').", nameof(trustDomain));
        }

        if (!IsValidSegment(ns))
        {
            throw new ArgumentException($"'{ns}' is not a valid namespace.", nameof(ns));
        }

        if (!IsValidSegment(serviceAccount))
        {
            throw new ArgumentException($"'{serviceAccount}' is not a valid service account name.", nameof(serviceAccount));
        }

        return new SpiffeId(trustDomain, ns, serviceAccount);
    }

    public static SpiffeId Parse(string value)
    {
        if (!TryParse(value, out var id, out var error))
        {
            throw new FormatException(error);
        }

        return id;
    }

    public static bool TryParse([NotNullWhen(true)] string? value, out SpiffeId id)
        => TryParse(value, out id, out _);

    public static bool TryParse([NotNullWhen(true)] string? value, out SpiffeId id, out string error)
    {
        id = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "SPIFFE ID is empty.";
            return false;
        }

        // The scheme is case-sensitive in the SPIFFE spec; Istio only ever emits lowercase.
        if (!value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = $"'{value}' is not a SPIFFE ID: it must start with '{Scheme}'.";
            return false;
        }

        var rest = value.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            error = $"'{value}' has no trust domain or no path.";
            return false;
        }

        var trustDomain = rest[..slash].ToString();
        if (!IsValidTrustDomain(trustDomain))
        {
            error = $"'{value}' has an invalid trust domain '{trustDomain}'.";
            return false;
        }

        // Path must be exactly /ns/<ns>/sa/<sa>: four segments, nothing after.
        var path = rest[(slash + 1)..];
        Span<Range> parts = stackalloc Range[5];
        var count = path.Split(parts, '/');
        if (count != 4 || !path[parts[0]].SequenceEqual("ns") || !path[parts[2]].SequenceEqual("sa"))
        {
            error = $"'{value}' is not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.";
            return false;
        }

        var ns = path[parts[1]].ToString();
        var sa = path[parts[3]].ToString();
        if (!IsValidSegment(ns) || !IsValidSegment(sa))
        {
            error = $"'{value}' has an empty or invalid namespace or service account.";
            return false;
        }

        id = new SpiffeId(trustDomain, ns, sa);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The SPIFFE IDs in a certificate's URI SANs (a certificate may carry more than one; Istio
    /// puts exactly one in workload certificates). Non-SPIFFE URIs are skipped.
    /// </summary>
    public static List<SpiffeId> FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var ids = new List<SpiffeId>(1);
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                AddUris(san, ids);
            }
            else if (extension.Oid?.Value == "2.5.29.17")
            {
                AddUris(new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical), ids);
            }
        }

        return ids;
    }

    /// <summary>True when this identity belongs to <paramref name="trustDomain"/>.</summary>
    public bool IsInTrustDomain(string trustDomain) => string.Equals(TrustDomain, trustDomain, StringComparison.Ordinal);

    public override string ToString()
        => IsEmpty ? string.Empty : $"{Scheme}{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    public bool Equals(SpiffeId other)
        => string.Equals(TrustDomain, other.TrustDomain, StringComparison.Ordinal)
        && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal)
        && string.Equals(ServiceAccount, other.ServiceAccount, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is SpiffeId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(TrustDomain, Namespace, ServiceAccount);

    public static bool operator ==(SpiffeId left, SpiffeId right) => left.Equals(right);

    public static bool operator !=(SpiffeId left, SpiffeId right) => !left.Equals(right);

    /// <summary>Trust domains are DNS-like names; SPIFFE allows lowercase letters, digits, '.', '-', '_'.</summary>
    public static bool IsValidTrustDomain(string? trustDomain)
    {
        if (string.IsNullOrEmpty(trustDomain) || trustDomain.Length > 255)
        {
            return false;
        }

        foreach (var c in trustDomain)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    // Kubernetes names are DNS labels/subdomains; SPIFFE path segments allow letters, digits, '.', '-', '_'.
    // "." and ".." are forbidden path segments in SPIFFE.
    private static bool IsValidSegment(string? segment)
    {
        if (string.IsNullOrEmpty(segment) || segment is "." or ".." || segment.Length > 253)
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static void AddUris(X509SubjectAlternativeNameExtension san, List<SpiffeId> ids)
    {
        // EnumerateUris is not in the BCL; walk the SAN with the ASN.1 reader instead.
        foreach (var uri in SubjectAltNames.ReadUris(san.RawData))
        {
            if (TryParse(uri, out var id))
            {
                ids.Add(id);
            }
        }
    }
}
