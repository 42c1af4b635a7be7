using System.Text.Json;
using Meshway.Waypoint.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.E2E;

/// <summary>
/// istio.io/waypoint-for: all (the fixture's waypoint): a CONNECT to a pod address (podIP:port) of a workload
/// bound to the waypoint is served like a Service with no routes: forwarded to that pod over HBONE, HTTP when
/// the first bytes say so, bytes otherwise. Pods that opt out, or are unknown, are refused.
/// </summary>
[Collection(WaypointCollection.Name)]
public sealed class WorkloadAddressTests(WaypointFixture mesh)
{
    [Fact]
    public async Task WaypointForAll_PodAddress_HttpIsForwardedToThatPod()
    {
        var result = await mesh.GetAsync(mesh.V1Ip, 8080, "/workload");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        var echo = JsonDocument.Parse(result.GetProperty("body").GetString()!).RootElement;
        Assert.Equal("reviews-v1", echo.GetProperty("pod").GetString());
        Assert.Equal(mesh.WaypointCert.Identity.ToString(), echo.GetProperty("peer").GetString());
        Assert.Equal($"{mesh.V1Ip}:8080", echo.GetProperty("authority").GetString());
    }

    [Fact]
    public async Task WaypointForAll_PodAddress_NonHttpBytesAreProxiedAsBytes()
    {
        var result = await mesh.SendAsync(new
        {
            hbone = mesh.WaypointIp + ":15008",
            expectSan = mesh.WaypointCert.Identity.ToString(),
            authority = mesh.V1Ip + ":9000",
            raw = "hello bytes\n",
        });

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("hello bytes\n", result.GetProperty("raw").GetString());
    }

    [Fact]
    public async Task PodThatOptsOut_IsRefusedAsUnknownTarget()
    {
        var before = mesh.Server.UnknownTargets;

        var result = await mesh.GetAsync(mesh.RatingsIp, 8080, "/");

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(400, result.GetProperty("connectStatus").GetInt32());
        Assert.Equal(before + 1, mesh.Server.UnknownTargets);
    }
}
