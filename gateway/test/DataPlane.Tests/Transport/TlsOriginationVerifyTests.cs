using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.DataPlane.Transport;
using Meshway.Routing.Backends;

namespace Meshway.DataPlane.Tests.Transport;

/// <summary>The BackendTLSPolicy certificate check: chain to the policy's CAs, then hostname or listed SANs.</summary>
public sealed class TlsOriginationVerifyTests
{
    private static readonly (X509Certificate2 Cert, ECDsa Key) Ca = CreateCa("policy-ca");
    private static readonly (X509Certificate2 Cert, ECDsa Key) OtherCa = CreateCa("other-ca");

    [Fact]
    public void Verify_LeafFromPolicyCa_WithTheHostname_IsAccepted()
    {
        using var leaf = Issue(Ca, ["backend.internal"]);

        Assert.True(TlsOriginationTransport.Verify(Model("backend.internal", Ca.Cert), leaf, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Verify_LeafFromAnotherCa_IsRefused()
    {
        using var leaf = Issue(OtherCa, ["backend.internal"]);

        Assert.False(TlsOriginationTransport.Verify(Model("backend.internal", Ca.Cert), leaf, SslPolicyErrors.None));
    }

    [Theory]
    [InlineData("other.internal", false)]
    [InlineData("a.wild.internal", true)]   // *.wild.internal covers one label
    [InlineData("a.b.wild.internal", false)] // but not two
    public void Verify_ChecksTheHostnameAgainstDnsSans(string hostname, bool expected)
    {
        using var leaf = Issue(Ca, ["backend.internal", "*.wild.internal"]);

        Assert.Equal(expected, TlsOriginationTransport.Verify(Model(hostname, Ca.Cert), leaf, SslPolicyErrors.None));
    }

    [Fact]
    public void Verify_SubjectAltNames_ReplaceTheHostname()
    {
        using var leaf = Issue(Ca, ["other.internal"], "spiffe://cluster.local/ns/a/sa/b");

        Assert.True(TlsOriginationTransport.Verify(Model("backend.internal", Ca.Cert, dns: ["other.internal"]), leaf, SslPolicyErrors.None));
        Assert.True(TlsOriginationTransport.Verify(Model("backend.internal", Ca.Cert, uris: ["spiffe://cluster.local/ns/a/sa/b"]), leaf, SslPolicyErrors.None));
        Assert.False(TlsOriginationTransport.Verify(Model("backend.internal", Ca.Cert, uris: ["spiffe://cluster.local/ns/a/sa/c"]), leaf, SslPolicyErrors.None));
    }

    [Fact]
    public void Verify_SystemRoots_FollowThePlatformChainVerdict()
    {
        using var leaf = Issue(Ca, ["backend.internal"]);
        var system = new BackendTlsModel("backend.internal", [], [], [], "default/p");

        Assert.False(TlsOriginationTransport.Verify(system, leaf, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(TlsOriginationTransport.Verify(system, leaf, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(TlsOriginationTransport.Verify(system, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    private static BackendTlsModel Model(string hostname, X509Certificate2 ca, string[]? dns = null, string[]? uris = null) =>
        new(hostname, [ca], [.. dns ?? []], [.. uris ?? []], "default/p");

    private static (X509Certificate2, ECDsa) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)), key);
    }

    private static X509Certificate2 Issue((X509Certificate2 Cert, ECDsa Key) ca, string[] dnsNames, params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=leaf", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (var uri in uris)
        {
            san.AddUri(new Uri(uri));
        }

        request.CertificateExtensions.Add(san.Build());
        return request.Create(ca.Cert.SubjectName, X509SignatureGenerator.CreateForECDsa(ca.Key),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
    }
}
