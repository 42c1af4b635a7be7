using Meshway.Cli;

namespace Meshway.Tests.Cli;

/// <summary>The mesh identity flags of `meshway run` (waypoint and HBONE outbound).</summary>
public sealed class MeshFlagsTests
{
    [Fact]
    public void Run_MeshCaDevWithIdentity_IsParsed()
    {
        var parsed = CommandLine.Parse(
            ["run", "--config", "c", "--mesh-ca", "dev", "--mesh-identity=spiffe://cluster.local/ns/mesh/sa/waypoint"], out var error);

        Assert.Null(error);
        Assert.Equal("dev", parsed!.MeshCa);
        Assert.Null(parsed.MeshCertDirectory);
        Assert.Equal("spiffe://cluster.local/ns/mesh/sa/waypoint", parsed.MeshIdentity);
    }

    [Fact]
    public void Run_MeshCertDir_IsParsed()
    {
        var parsed = CommandLine.Parse(["run", "--config", "c", "--mesh-cert-dir", "/var/run/secrets/mesh"], out var error);

        Assert.Null(error);
        Assert.Equal("/var/run/secrets/mesh", parsed!.MeshCertDirectory);
    }

    [Theory]
    [InlineData("--mesh-ca supports only 'dev'", "--mesh-ca", "istiod")]
    [InlineData("use either --mesh-ca dev or --mesh-cert-dir DIR, not both", "--mesh-ca", "dev", "--mesh-cert-dir", "d")]
    [InlineData("--mesh-identity: ", "--mesh-identity", "spiffe://cluster.local/not/an/identity")]
    public void Run_BadMeshFlags_AreUsageErrors(string expected, params string[] flags)
    {
        var parsed = CommandLine.Parse(["run", "--config", "c", .. flags], out var error);

        Assert.Null(parsed);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_DoesNotTakeMeshFlags()
    {
        Assert.Null(CommandLine.Parse(["demo", "--mesh-ca", "dev"], out var error));
        Assert.Equal("unknown option '--mesh-ca' for 'demo'", error);
    }
}
