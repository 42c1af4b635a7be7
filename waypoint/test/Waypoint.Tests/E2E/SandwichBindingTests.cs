using System.Diagnostics;
using System.Text.Json;
using Meshway.Waypoint.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.E2E;

/// <summary>
/// The sandwich binding (ambient.istio.io/waypoint-inbound-binding: PROXY/15088 on the fixture's waypoint):
/// a Node `net` client plays the node's ztunnel, sending a hand-built PROXY v2 header (destination = Service
/// VIP:port, TLV 0xD0 = client SPIFFE ID) and then plain HTTP. Bad headers close the connection and are counted.
/// </summary>
[Collection(WaypointCollection.Name)]
public sealed class SandwichBindingTests(WaypointFixture mesh)
{
    private static readonly string Script = Find();

    private async Task<JsonElement> SendAsync(string identity, string dst, string path, string? bad = null)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Script, "--to", mesh.WaypointIp + ":15088", "--src", "127.0.10.1:40000", "--dst", dst, "--identity", identity, "--path", path })
        {
            info.ArgumentList.Add(arg);
        }

        if (bad is not null)
        {
            info.ArgumentList.Add("--bad");
            info.ArgumentList.Add(bad);
        }

        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    [Fact]
    public async Task ProxyV2Header_ToServiceVip_IsRoutedAndForwardedOverHbone()
    {
        var result = await SendAsync(mesh.SourceCert.Identity.ToString(), mesh.ReviewsVip + ":9080", "/sandwich");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        var body = result.GetProperty("body").GetString()!;
        Assert.Contains("\"pod\":\"reviews-v1\"", body);
        Assert.Contains($"\"peer\":\"{mesh.WaypointCert.Identity}\"", body);
    }

    [Fact]
    public async Task ProxyV2Header_PeerIdentityTlv_SelectsTheConsumerRoute()
    {
        // TLV 0xD0 names a client in namespace frontend: its consumer route sends it to reviews-v2.
        var result = await SendAsync(mesh.ConsumerCert.Identity.ToString(), mesh.ReviewsVip + ":9080", "/");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Contains("\"pod\":\"reviews-v2\"", result.GetProperty("body").GetString()!);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("local")]
    [InlineData("short-tlv")]
    [InlineData("no-identity")]
    [InlineData("huge")]
    public async Task BadProxyV2Header_ClosesTheConnectionAndIsCounted(string bad)
    {
        var before = mesh.Server.ProxyHeaderFailures;

        var result = await SendAsync(mesh.SourceCert.Identity.ToString(), mesh.ReviewsVip + ":9080", "/", bad);

        Assert.False(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(result.GetProperty("closed").GetBoolean(), result.ToString());
        Assert.Equal("", result.GetProperty("received").GetString());
        Assert.Equal(before + 1, mesh.Server.ProxyHeaderFailures);
    }

    [Fact]
    public async Task ProxyV2Header_ToAddressNotServed_ClosesTheConnectionAndIsCounted()
    {
        var before = mesh.Server.UnknownTargets;

        var result = await SendAsync(mesh.SourceCert.Identity.ToString(), "127.0.20.254:9080", "/");

        Assert.False(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(before + 1, mesh.Server.UnknownTargets);
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "waypoint", "test", "Waypoint.Tests", "peers", "proxyv2.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("waypoint/test/Waypoint.Tests/peers/proxyv2.js not found above " + AppContext.BaseDirectory);
    }
}
