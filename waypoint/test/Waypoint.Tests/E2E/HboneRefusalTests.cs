using Meshway.Waypoint.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.E2E;

/// <summary>Bad input on the HBONE port: each refused, counted and logged; nothing reaches a pod.</summary>
[Collection(WaypointCollection.Name)]
public sealed class HboneRefusalTests(WaypointFixture mesh)
{
    [Fact]
    public async Task NonConnectRequest_Is400()
    {
        var before = mesh.Server.BadRequests;

        var result = await mesh.SendAsync(new
        {
            hbone = mesh.WaypointIp + ":15008",
            expectSan = mesh.WaypointCert.Identity.ToString(),
            authority = mesh.ReviewsVip + ":9080",
            rawMethod = "GET",
        });

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(400, result.GetProperty("connectStatus").GetInt32());
        Assert.Equal(before + 1, mesh.Server.BadRequests);
    }

    [Fact]
    public async Task ConnectToUnknownVip_IsRefused()
    {
        var before = mesh.Server.UnknownTargets;

        var result = await mesh.GetAsync("127.0.20.254", 9080, "/");

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(400, result.GetProperty("connectStatus").GetInt32());
        Assert.Equal(before + 1, mesh.Server.UnknownTargets);
    }

    [Fact]
    public async Task ConnectToServiceThatOptedOut_IsRefused()
    {
        // details carries istio.io/use-waypoint: none although its namespace names this waypoint.
        var result = await mesh.GetAsync(mesh.DetailsVip, 9080, "/");

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(400, result.GetProperty("connectStatus").GetInt32());
    }

    [Fact]
    public async Task ClientFromAnotherTrustDomain_IsRefusedAtHandshake()
    {
        var before = mesh.Server.HandshakeFailures;

        var result = await mesh.GetAsync(mesh.ReviewsVip, 9080, "/", as_: mesh.ForeignCert);

        Assert.False(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.False(result.TryGetProperty("connectStatus", out _));
        Assert.True(mesh.Server.HandshakeFailures > before);
    }

    [Fact]
    public async Task ClientWithoutCertificate_IsRefusedAtHandshake()
    {
        var before = mesh.Server.HandshakeFailures;

        var result = await mesh.SendAsync(new
        {
            hbone = mesh.WaypointIp + ":15008",
            expectSan = mesh.WaypointCert.Identity.ToString(),
            authority = mesh.ReviewsVip + ":9080",
            noCert = true,
        });

        Assert.False(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(mesh.Server.HandshakeFailures > before);
    }
}
