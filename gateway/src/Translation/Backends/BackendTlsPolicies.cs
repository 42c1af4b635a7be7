using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Backends;

/// <summary>A BackendTLSPolicy after validation: the TLS settings it gives its targets, or why it cannot.</summary>
internal sealed record BackendTlsResult(
    BackendTlsPolicy Policy,
    BackendTlsModel? Model,
    ConfigError? AcceptError,
    ConfigError? RefError);

/// <summary>
/// BackendTLSPolicy (v1): which Service ports originate TLS and how. A policy targets Services in its own
/// namespace (sectionName = a port name; absent = every port). It must name its trust anchors, either
/// ConfigMaps (key ca.crt, PEM) or wellKnownCACertificates: System, never both, and a hostname (SNI, and
/// the name to verify unless subjectAltNames are listed). When two policies target the same Service port,
/// the oldest (then first by namespace/name) wins and the other is Conflicted. A policy that cannot be
/// honoured (no valid CA, bad hostname) makes its targets fail closed (500) rather than fall back to
/// plaintext or to unverified TLS.
/// </summary>
internal static class BackendTlsPolicies
{
    public const string CaKey = "ca.crt";

    // Reasons of BackendTLSPolicy conditions (apis/v1/backendtlspolicy_types.go).
    public const string NoValidCaCertificate = "NoValidCACertificate";
    public const string InvalidCaCertificateRef = "InvalidCACertificateRef";
    public const string Conflicted = "Conflicted";

    /// <summary>Every policy, validated, in precedence order (oldest first).</summary>
    public static IReadOnlyList<BackendTlsResult> Evaluate(ResourceSet resources) =>
        resources.BackendTlsPolicies
            .OrderBy(p => p.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(p => p.Namespace, StringComparer.Ordinal)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => Validate(p, resources))
            .ToList();

    /// <summary>
    /// The policy for one Service port: a sectionName match beats a whole-Service one; among equals the
    /// oldest. Null when no policy targets it (plaintext, as before).
    /// </summary>
    public static BackendTlsResult? For(ResourceSet resources, string @namespace, string service, string? portName)
    {
        BackendTlsResult? whole = null;
        foreach (var policy in resources.BackendTlsPolicies
            .Where(p => p.Namespace == @namespace)
            .OrderBy(p => p.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            foreach (var target in policy.Spec.TargetRefs ?? [])
            {
                if (target is null || !IsService(target) || target.Name != service)
                {
                    continue;
                }

                if (!string.IsNullOrEmpty(target.SectionName))
                {
                    if (target.SectionName == portName)
                    {
                        return Validate(policy, resources);
                    }
                }
                else
                {
                    whole ??= Validate(policy, resources);
                }
            }
        }

        return whole;
    }

    public static bool IsService(PolicyTargetReference target) =>
        string.IsNullOrEmpty(target.Group) && target.Kind == "Service" && !string.IsNullOrEmpty(target.Name);

    private static BackendTlsResult Validate(BackendTlsPolicy policy, ResourceSet resources)
    {
        var label = policy.Namespace + "/" + policy.Name;
        var validation = policy.Spec.Validation;
        if (validation is null)
        {
            return new(policy, null, new ConfigError(Reasons.Invalid, "spec.validation is required"), null);
        }

        var hostname = validation.Hostname;
        if (string.IsNullOrEmpty(hostname) || hostname.Contains('*', StringComparison.Ordinal) || !HostnameMatch.IsValid(hostname))
        {
            return new(policy, null, new ConfigError(Reasons.Invalid,
                $"validation.hostname \"{hostname}\" must be a fully qualified DNS name without wildcards"), null);
        }

        var dnsNames = ImmutableArray.CreateBuilder<string>();
        var uris = ImmutableArray.CreateBuilder<string>();
        foreach (var san in validation.SubjectAltNames ?? [])
        {
            switch (san?.Type)
            {
                case "Hostname" when !string.IsNullOrEmpty(san.Hostname) && HostnameMatch.IsValid(san.Hostname):
                    dnsNames.Add(san.Hostname.ToLowerInvariant());
                    break;
                case "URI" when Uri.TryCreate(san.Uri, UriKind.Absolute, out _):
                    uris.Add(san.Uri!);
                    break;
                default:
                    return new(policy, null, new ConfigError(Reasons.Invalid,
                        $"subjectAltName {san?.Type} \"{san?.Hostname ?? san?.Uri}\" is not a valid Hostname or URI"), null);
            }
        }

        var refs = validation.CaCertificateRefs ?? [];
        var wellKnown = validation.WellKnownCaCertificates;
        if (refs.Count > 0 && wellKnown is not null)
        {
            return new(policy, null, new ConfigError(Reasons.Invalid,
                "caCertificateRefs and wellKnownCACertificates are mutually exclusive"), null);
        }

        if (refs.Count == 0)
        {
            if (wellKnown != "System")
            {
                return new(policy, null, new ConfigError(Reasons.Invalid, wellKnown is null
                    ? "validation needs caCertificateRefs or wellKnownCACertificates: System"
                    : $"wellKnownCACertificates \"{wellKnown}\" is not supported (System)"), null);
            }

            return new(policy, new BackendTlsModel(hostname.ToLowerInvariant(), [], dnsNames.ToImmutable(), uris.ToImmutable(), label), null, null);
        }

        // Every ref must resolve; the spec says one bad ref makes the policy unusable (fail closed).
        var cas = ImmutableArray.CreateBuilder<X509Certificate2>();
        foreach (var reference in refs)
        {
            if (reference is null || !string.IsNullOrEmpty(reference.Group) || reference.Kind != "ConfigMap")
            {
                return new(policy, null, new ConfigError(NoValidCaCertificate, "no usable CA certificate"),
                    new ConfigError(Reasons.InvalidKind, $"caCertificateRef {reference?.Group}/{reference?.Kind} {reference?.Name}: only core ConfigMaps are supported"));
            }

            var configMap = resources.FindConfigMap(policy.Namespace, reference.Name ?? "");
            if (configMap?.Data?.GetValueOrDefault(CaKey) is not { } pem)
            {
                return new(policy, null, new ConfigError(NoValidCaCertificate, "no usable CA certificate"),
                    new ConfigError(InvalidCaCertificateRef, $"ConfigMap {policy.Namespace}/{reference.Name} not found or without key {CaKey}"));
            }

            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPem(pem);
            }
            catch (CryptographicException)
            {
                collection.Clear();
            }

            if (collection.Count == 0)
            {
                return new(policy, null, new ConfigError(NoValidCaCertificate, "no usable CA certificate"),
                    new ConfigError(InvalidCaCertificateRef, $"ConfigMap {policy.Namespace}/{reference.Name} key {CaKey} holds no PEM certificate"));
            }

            cas.AddRange(collection);
        }

        return new(policy, new BackendTlsModel(hostname.ToLowerInvariant(), cas.ToImmutable(), dnsNames.ToImmutable(), uris.ToImmutable(), label), null, null);
    }
}
