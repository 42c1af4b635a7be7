using System.Net;
using Meshway.DataPlane.Tests.Infrastructure;
using Meshway.Routing.Backends;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using static Meshway.DataPlane.Tests.Infrastructure.Snapshots;

namespace Meshway.DataPlane.Tests.Pipeline;

/// <summary>The gateway's own errors, seen by a gRPC caller over h2c: trailers-only responses with grpc-status.</summary>
public sealed class GrpcLocalReplyTests
{
    [Theory]
    [InlineData("/svc.S/Missing", "application/grpc", "12")]       // no route -> UNIMPLEMENTED
    [InlineData("/invalid/M", "application/grpc+proto", "14")]     // invalid backendRef -> UNAVAILABLE
    [InlineData("/empty/M", "application/grpc", "14")]             // no endpoints -> UNAVAILABLE
    [InlineData("/refused/M", "application/grpc; charset=x", "14")] // upstream refused -> UNAVAILABLE
    public async Task GatewayError_ForAGrpcRequest_IsATrailersOnlyGrpcStatus(string path, string contentType, string grpcStatus)
    {
        await using var gw = await StartAsync();

        using var response = await SendAsync(gw, path, contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(grpcStatus, Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/svc.S/Missing", "application/grpc-web", HttpStatusCode.NotFound)] // gRPC-Web carries status in the body
    [InlineData("/svc.S/Missing", "application/grpcx", HttpStatusCode.NotFound)]
    [InlineData("/invalid/M", "text/plain", HttpStatusCode.InternalServerError)]
    public async Task GatewayError_ForANonGrpcRequest_StaysHttp(string path, string contentType, HttpStatusCode expected)
    {
        await using var gw = await StartAsync();

        using var response = await SendAsync(gw, path, contentType);

        Assert.Equal(expected, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    [Fact]
    public async Task BackendAnswer_IsNeverRewritten_EvenAnError()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("real", new BackendSet([Backend("default/b:80", backend.Port)])))));

        using var response = await SendAsync(gw, "/svc.S/M?status=404", "application/grpc");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Single(backend.Seen);
    }

    private static Task<GatewayFixture> StartAsync()
    {
        var refusedPort = Ports.Free();
        return GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("invalid", new BackendSet([BackendModel.InvalidRef("default/x:80", 1)])), PathMatch.Prefix("/invalid")),
            Entry(Rule("empty", new BackendSet([new BackendModel("default/e:80", 1, [], BackendProtocol.H2c)])), PathMatch.Prefix("/empty")),
            Entry(Rule("refused", new BackendSet([new BackendModel("default/r:80", 1, [new EndpointModel("127.0.0.1", refusedPort)], BackendProtocol.H2c)])),
                PathMatch.Prefix("/refused"))));
    }

    private static async Task<HttpResponseMessage> SendAsync(GatewayFixture gw, string path, string contentType)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var content = new ByteArrayContent(new byte[5]);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{gw.Port}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.Host = "example.com";
        return await client.SendAsync(request);
    }
}
