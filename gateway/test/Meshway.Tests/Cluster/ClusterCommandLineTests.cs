using Meshway.Cluster;
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
    public void Mistakes_AreRejectedWithAReason(string expected, params string[] args)
    {
        Assert.Null(ClusterCommandLine.Parse(args, out var error));
        Assert.Equal(expected, error);
    }
}
