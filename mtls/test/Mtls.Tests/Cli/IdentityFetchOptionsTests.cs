using Meshway.Mtls.Cli;

namespace Meshway.Mtls.Tests.Cli;

public class IdentityFetchOptionsTests
{
    [Fact]
    public void TryParse_AllFlags_BothSpellings()
    {
        Assert.True(IdentityFetchOptions.TryParse(
            ["--ca-address", "ca:1", "--ca-root=/r.pem", "--token-file", "/t", "--cluster-id=c1", "--trust-domain", "td.example", "--out", "/o"],
            out var options, out var error), error);

        Assert.Equal("ca:1", options.CaAddress);
        Assert.Equal("/r.pem", options.CaRootFile);
        Assert.Equal("/t", options.TokenFile);
        Assert.Equal("c1", options.ClusterId);
        Assert.Equal("td.example", options.TrustDomain);
        Assert.Equal("/o", options.OutDirectory);
    }

    [Fact]
    public void TryParse_Nothing_IstioDefaults()
    {
        Assert.True(IdentityFetchOptions.TryParse([], out var options, out _));

        Assert.Null(options.CaAddress);
        Assert.Equal("/var/run/secrets/istio/root-cert.pem", options.CaRootFile);
        Assert.Equal("/var/run/secrets/tokens/istio-token", options.TokenFile);
        Assert.Equal("Kubernetes", options.ClusterId);
        Assert.Equal("cluster.local", options.TrustDomain);
        Assert.Null(options.OutDirectory);
        Assert.Equal(TimeSpan.FromHours(24), options.Validity);
    }

    [Theory]
    [InlineData("unknown flag --nope", "--nope", "x")]
    [InlineData("flag --out needs a value", "--out")]
    public void TryParse_Bad_SaysWhat(string expected, params string[] args)
    {
        Assert.False(IdentityFetchOptions.TryParse(args, out _, out var error));
        Assert.Equal(expected, error);
    }
}
