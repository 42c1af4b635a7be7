using System.Text.Json;
using Meshway.Waypoint.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.E2E;

/// <summary>
/// GAMMA MeshGRPCRoute as facts: a @grpc/grpc-js client (h2c) whose connection the source stand-in carries
/// through HBONE to the waypoint; a GRPCRoute with a Service parent routes by service/method to gRPC apps
/// behind ambient pods (HBONE out, h2c inside the tunnel).
/// </summary>
[Collection(WaypointCollection.Name)]
public sealed class MeshGrpcRouteTests(WaypointFixture mesh)
{
    private async Task<JsonElement> CallAsync(string method, params string[] extra)
    {
        var port = await mesh.ForwardAsync(mesh.GrpcVip, 50051);
        return await GrpcPeer.CallAsync(
            ["--target", "127.0.0.1:" + port, "--authority", "echo-grpc.shop.svc.cluster.local:50051", "--method", method, .. extra]);
    }

    [Fact]
    public async Task MeshGRPCRoute_UnaryMethodMatch_ReachesItsBackendWithTheRuleFilter()
    {
        var result = await CallAsync("Unary", "--text", "hello mesh");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var reply = result.GetProperty("replies")[0];
        Assert.Equal("grpc-a", reply.GetProperty("backend").GetString());
        Assert.Equal("hello mesh", reply.GetProperty("text").GetString());
        Assert.Equal("waypoint", reply.GetProperty("metadata").GetProperty("x-mesh").GetString());
        Assert.Equal("grpc-a", result.GetProperty("trailers").GetProperty("x-trailer").GetString());
    }

    [Fact]
    public async Task MeshGRPCRoute_ServerStreamingMethodMatch_ReachesTheOtherService()
    {
        var result = await CallAsync("Stream", "--text", "s", "--count", "3");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var replies = result.GetProperty("replies");
        Assert.Equal(3, replies.GetArrayLength());
        Assert.All(replies.EnumerateArray(), r => Assert.Equal("grpc-b", r.GetProperty("backend").GetString()));
        Assert.Contains(mesh.V2.Lines, l => l == $"CONNECT {mesh.V2Ip}:50051 {mesh.WaypointCert.Identity}");
    }

    [Fact]
    public async Task MeshGRPCRoute_MethodNoRuleMatches_IsUnimplemented()
    {
        var result = await CallAsync("Unrouted");

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(12, result.GetProperty("code").GetInt32()); // UNIMPLEMENTED, answered by the waypoint
    }
}
