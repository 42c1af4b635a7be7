using Meshway.Cli;
using Microsoft.Extensions.Logging;

namespace Meshway.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public void Run_WithAllOptions_ParsesBothSyntaxes()
    {
        var parsed = CommandLine.Parse(["run", "--config", "/etc/gw", "--admin-port=15555", "--bind", "127.0.0.2", "--log-level", "debug"], out var error);

        Assert.Null(error);
        Assert.Equal(new ParsedCommand("run", "/etc/gw", 15555, "127.0.0.2", LogLevel.Debug), parsed);
    }

    [Fact]
    public void Run_Defaults()
    {
        var parsed = CommandLine.Parse(["run", "--config=cfg"], out _);

        Assert.Equal(15000, parsed!.AdminPort);
        Assert.Equal("0.0.0.0", parsed.BindAddress);
        Assert.Equal(LogLevel.Information, parsed.LogLevel);
    }

    [Theory]
    [InlineData("unknown command 'serve'", "serve")]
    [InlineData("missing command")]
    [InlineData("run needs --config DIR", "run")]
    [InlineData("unknown option '--verbose' for 'run'", "run", "--config", "x", "--verbose")]
    [InlineData("unknown option '--config' for 'demo'", "demo", "--config", "x")]
    [InlineData("option --admin-port needs a value", "run", "--config", "x", "--admin-port")]
    [InlineData("--admin-port must be a port number (1-65535), got '70000'", "run", "--config", "x", "--admin-port", "70000")]
    [InlineData("--bind must be an IP address, got 'localhost'", "run", "--config", "x", "--bind", "localhost")]
    [InlineData("unknown option 'extra' for 'version'", "version", "extra")]
    public void Mistakes_AreRejectedWithAReason(string expected, params string[] args)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Equal(expected, error);
    }
}
