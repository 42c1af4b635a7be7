using Meshway.Mtls.Identity;
using Meshway.Mtls.Tests.Infrastructure;

namespace Meshway.Mtls.Tests.Identity;

public class ServiceAccountTokenTests
{
    [Fact]
    public void TryGetIdentity_ServiceAccountSubject_GivesSpiffeId()
    {
        Assert.True(ServiceAccountToken.TryGetIdentity(TestTokens.For("shop", "cart"), "mesh.test", out var id));
        Assert.Equal("spiffe://mesh.test/ns/shop/sa/cart", id.ToString());
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmJvYiJ9.x")]
    public void TryGetIdentity_NotServiceAccountToken_ReturnsFalse(string token)
        => Assert.False(ServiceAccountToken.TryGetIdentity(token, "cluster.local", out _));

    [Fact]
    public void Read_MissingFile_SaysWhichFileAndWhatToMount()
    {
        var ex = Assert.Throws<CertificateProvisioningException>(() => ServiceAccountToken.Read("/nonexistent/istio-token"));
        Assert.Contains("'/nonexistent/istio-token' does not exist", ex.Message);
        Assert.Contains("istio-ca", ex.Message);
    }

    [Fact]
    public void Read_EmptyFile_IsAnError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("t"), "  \n");
        var ex = Assert.Throws<CertificateProvisioningException>(() => ServiceAccountToken.Read(dir.File("t")));
        Assert.Contains("is empty", ex.Message);
    }
}
