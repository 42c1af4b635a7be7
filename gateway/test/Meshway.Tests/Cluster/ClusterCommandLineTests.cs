using Meshway.Cluster;
using Meshway.Mtls.Setup;
using Microsoft.Extensions.Logging;

namespace Meshway.Tests.Cluster;

public sealed class ClusterCommandLineTests
{
    [Fact]
    public void Proxy_WithAllOptions_ParsesGatewayAndBothSyntaxes()
    {
        var parsed = ClusterCommandLine.Parse(["proxy", "--gateway=infra/edge", "--kubeconfig", "/k", "--admin-port", "15001", "--bind=127.0.0.1", "--log-level", "debug"], out var error);

        Assert.Null(error);
        Assert.Equal(new ClusterCommand("proxy", "/k", 15001, LogLevel.Debug, "infra", "edge", "127.0.0.1"), parsed);
    }

    [Fact]
    public void Proxy_WithTheWaypointDeploymentsCaFlags_AsksTheIstioCaForItsIdentity()
    {
        // The arguments WaypointResources.Deployment gives the provisioned waypoint pods.
        var parsed = ClusterCommandLine.Parse(
            ["proxy", "--gateway", "mesh/waypoint", "--ca-address", "istiod.istio-system.svc:15012",
             "--token-file", "/var/run/secrets/tokens/istio-token", "--ca-root=/var/run/secrets/istio/root-cert.pem"],
            out var error);

        Assert.Null(error);
        var mesh = parsed!.Mesh!;
        Assert.Equal(MeshCertificateMode.IstioCa, mesh.Mode);
        Assert.Equal("istiod.istio-system.svc:15012", mesh.CaAddress);
        Assert.Equal("/var/run/secrets/tokens/istio-token", mesh.TokenFile);
        Assert.Equal("/var/run/secrets/istio/root-cert.pem", mesh.RootFile);
        Assert.Equal("Kubernetes", mesh.ClusterId);
        Assert.Equal("cluster.local", mesh.TrustDomain);
    }

    [Fact]
    public void Proxy_WithMeshCertDir_ReadsTheIdentityFromFiles_AndWithoutMeshFlagsHasNone()
    {
        var parsed = ClusterCommandLine.Parse(["proxy", "--gateway", "mesh/waypoint", "--mesh-cert-dir", "/certs", "--trust-domain", "example.org"], out var error);

        Assert.Null(error);
        Assert.Equal(MeshCertificateMode.CertDirectory, parsed!.Mesh!.Mode);
        Assert.Equal("/certs", parsed.Mesh.CertDirectory);
        Assert.Equal("example.org", parsed.Mesh.TrustDomain);
        Assert.Null(ClusterCommandLine.Parse(["proxy", "--gateway", "infra/edge"], out _)!.Mesh);
    }

    [Fact]
    public void Controller_Defaults()
    {
        var parsed = ClusterCommandLine.Parse(["controller"], out var error);

        Assert.Null(error);
        Assert.Equal(new ClusterCommand("controller", null, 15000, LogLevel.Information), parsed);
        Assert.True(ClusterCommandLine.Handles(["controller"]));
        Assert.False(ClusterCommandLine.Handles(["run"]));
    }

    [Theory]
    [InlineData("proxy needs --gateway NS/NAME", "proxy")]
    [InlineData("--gateway must be NS/NAME, got 'edge'", "proxy", "--gateway", "edge")]
    [InlineData("--gateway must be NS/NAME, got 'a/b/c'", "proxy", "--gateway", "a/b/c")]
    [InlineData("--gateway must be NS/NAME, got '/edge'", "proxy", "--gateway", "/edge")]
    [InlineData("unknown option '--gateway' for 'controller'", "controller", "--gateway", "a/b")]
    [InlineData("unknown option '--proxy-image' for 'proxy'", "proxy", "--proxy-image", "x")]
    [InlineData("option --kubeconfig needs a value", "controller", "--kubeconfig")]
    [InlineData("--admin-port must be a port number (1-65535), got '0'", "controller", "--admin-port", "0")]
    [InlineData("--bind must be an IP address, got 'localhost'", "proxy", "--gateway", "a/b", "--bind", "localhost")]
    [InlineData("use either the Istio CA (--ca-address, --token-file, --ca-root, --cluster-id) or --mesh-cert-dir, not both", "proxy", "--gateway", "a/b", "--ca-address", "x:1", "--mesh-cert-dir", "/d")]
    [InlineData("--trust-domain needs a mesh identity (--ca-address ... or --mesh-cert-dir DIR)", "proxy", "--gateway", "a/b", "--trust-domain", "example.org")]
    [InlineData("--trust-domain must be a trust domain (like cluster.local), got 'Not A Domain'", "proxy", "--gateway", "a/b", "--trust-domain", "Not A Domain")]
    [InlineData("unknown option '--ca-address' for 'controller'", "controller", "--ca-address", "x:1")]
    public void Mistakes_AreRejectedWithAReason(string expected, params string[] args)
    {
        Assert.Null(ClusterCommandLine.Parse(args, out var error));
        Assert.Equal(expected, error);
    }
}
