using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.Tests.Identity;

public class SpiffeIdTests
{
    [Fact]
    public void Parse_IstioIdentity_RoundTrips()
    {
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/bookinfo/sa/reviews-v2");

        Assert.Equal("cluster.local", id.TrustDomain);
        Assert.Equal("bookinfo", id.Namespace);
        Assert.Equal("reviews-v2", id.ServiceAccount);
        Assert.Equal("spiffe://cluster.local/ns/bookinfo/sa/reviews-v2", id.ToString());
        Assert.Equal(SpiffeId.Create("cluster.local", "bookinfo", "reviews-v2"), id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://cluster.local/ns/a/sa/b")]
    [InlineData("SPIFFE://cluster.local/ns/a/sa/b")]
    [InlineData("spiffe://cluster.local")]
    [InlineData("spiffe:///ns/a/sa/b")]
    [InlineData("spiffe://Cluster.Local/ns/a/sa/b")]
    [InlineData("spiffe://cluster.local/ns/a/sa/")]
    [InlineData("spiffe://cluster.local/ns//sa/b")]
    [InlineData("spiffe://cluster.local/ns/a/sa/b/extra")]
    [InlineData("spiffe://cluster.local/sa/b/ns/a")]
    [InlineData("spiffe://cluster.local/ns/a/sa/b?x=1")]
    [InlineData("spiffe://cluster.local/ns/../sa/b")]
    public void TryParse_Malformed_ReturnsFalseWithReason(string value)
    {
        Assert.False(SpiffeId.TryParse(value, out var id, out var error));
        Assert.True(id.IsEmpty);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<FormatException>(() => SpiffeId.Parse(value));
    }

    [Fact]
    public void Equality_DiffersByEachPart()
    {
        var a = SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/b");
        Assert.NotEqual(a, SpiffeId.Parse("spiffe://other.local/ns/a/sa/b"));
        Assert.NotEqual(a, SpiffeId.Parse("spiffe://cluster.local/ns/x/sa/b"));
        Assert.NotEqual(a, SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/x"));
        Assert.True(a == SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/b"));
        Assert.Equal(a.GetHashCode(), SpiffeId.Parse("spiffe://cluster.local/ns/a/sa/b").GetHashCode());
    }

    [Fact]
    public void Create_InvalidTrustDomain_Throws()
        => Assert.Throws<ArgumentException>(() => SpiffeId.Create("Bad Domain", "a", "b"));

    [Fact]
    public void FromCertificate_ReadsUriSans_SkipsOtherNames()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("example.com");
        san.AddUri(new Uri("https://example.com/not-spiffe"));
        san.AddUri(new Uri("spiffe://td.example/ns/prod/sa/api"));
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));

        var ids = SpiffeId.FromCertificate(cert);

        Assert.Equal([SpiffeId.Parse("spiffe://td.example/ns/prod/sa/api")], ids);
    }
}
