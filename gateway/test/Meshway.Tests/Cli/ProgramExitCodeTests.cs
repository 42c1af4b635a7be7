namespace Meshway.Tests.Cli;

/// <summary>What a user sees from the command line: exit codes and where usage goes. Console is process-wide, hence one class.</summary>
public sealed class ProgramExitCodeTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = await Program.Main(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    [Fact]
    public async Task Mistakes_PrintUsageOnStderr_AndExit2_VersionAndHelpExit0()
    {
        var unknown = await RunAsync("serve");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown command 'serve'", unknown.Err);
        Assert.Contains("meshway run --config DIR", unknown.Err);
        Assert.Equal("", unknown.Out);

        var badFlag = await RunAsync("run", "--config", ".", "--port", "1");
        Assert.Equal(2, badFlag.Code);
        Assert.Contains("unknown option '--port'", badFlag.Err);

        var missingDir = await RunAsync("run", "--config", Path.Combine(Path.GetTempPath(), "meshway-no-such-dir-" + Guid.NewGuid()));
        Assert.Equal(2, missingDir.Code);
        Assert.Contains("does not exist", missingDir.Err);

        var none = await RunAsync();
        Assert.Equal(2, none.Code);

        var version = await RunAsync("version");
        Assert.Equal(0, version.Code);
        Assert.Matches(@"^meshway \d+\.\d+\.\d+\s*$", version.Out);

        var help = await RunAsync("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("meshway demo", help.Out);
    }
}
