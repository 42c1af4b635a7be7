using System.Text.Json;
using Meshway.Waypoint.Tests.Infrastructure;

namespace Meshway.Waypoint.Tests.E2E;

/// <summary>
/// Issue 6 acceptance 1 and the upstream mesh conformance cases as facts: source stand-in -> HBONE ->
/// waypoint (GAMMA routes) -> HBONE -> destination stand-in, identities verified both ways; and the bad
/// inputs the HBONE port must refuse.
/// </summary>
[Collection(WaypointCollection.Name)]
public sealed class WaypointE2ETests(WaypointFixture mesh)
{
    private static JsonElement Echo(JsonElement result)
    {
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        return JsonDocument.Parse(result.GetProperty("body").GetString()!).RootElement;
    }

    [Fact]
    public async Task MeshBasic_SourceThroughWaypointToPod_IdentitiesVerifiedBothWays()
    {
        // The source stand-in refuses a waypoint whose URI SAN is not expectSan; the waypoint refuses a
        // pod whose SAN is not its service account's; the pod reports the identity it saw on its HBONE port.
        var echo = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/productpage/reviews"));

        Assert.Equal("reviews-v1", echo.GetProperty("pod").GetString());
        Assert.Equal(mesh.WaypointCert.Identity.ToString(), echo.GetProperty("peer").GetString());
        Assert.Equal($"{mesh.V1Ip}:8080", echo.GetProperty("authority").GetString());
        Assert.Equal("/productpage/reviews", echo.GetProperty("path").GetString());
        Assert.Contains(mesh.V1.Lines, l => l == $"CONNECT {mesh.V1Ip}:8080 {mesh.WaypointCert.Identity}");
    }

    [Fact]
    public async Task MeshHTTPRouteMatching_HeaderMatch_SelectsTheNamedRule()
    {
        var v2 = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/", new() { ["x-version"] = "v2" }));
        var v1 = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/", new() { ["x-version"] = "v3" }));

        Assert.Equal("reviews-v2", v2.GetProperty("pod").GetString());
        Assert.Equal("reviews-v1", v1.GetProperty("pod").GetString());
    }

    [Fact]
    public async Task MeshHTTPRouteQueryParamMatching_NameIsCaseSensitive()
    {
        var matched = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/q?Version=v2"));
        var otherCase = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/q?version=v2"));

        Assert.Equal("reviews-v2", matched.GetProperty("pod").GetString());
        Assert.Equal("reviews-v1", otherCase.GetProperty("pod").GetString());
    }

    [Fact]
    public async Task MeshTrafficSplit_EqualWeights_ReachBothBackends()
    {
        var pods = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            pods.Add(Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/split")).GetProperty("pod").GetString()!);
        }

        // With p = 1/2 each, 40 draws all on one side happen with probability 2^-39.
        Assert.Contains("reviews-v1", pods);
        Assert.Contains("reviews-v2", pods);
    }

    [Fact]
    public async Task MeshHTTPRouteRedirect_AnswersWithLocationAndCallsNoBackend()
    {
        var result = await mesh.GetAsync(mesh.ReviewsVip, 9080, "/redirect/x?a=1");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(301, result.GetProperty("status").GetInt32());
        Assert.Equal("http://example.com:9080/redirect/x?a=1", result.GetProperty("headers").GetProperty("location").GetString());
    }

    [Fact]
    public async Task MeshHTTPRouteHeaderModifier_RequestAndResponseHeadersAreChanged()
    {
        var result = await mesh.GetAsync(mesh.ReviewsVip, 9080, "/headers", new() { ["x-drop"] = "1", ["x-mesh"] = "client" });
        var echo = Echo(result);

        var headers = echo.GetProperty("headers");
        Assert.Equal("waypoint", headers.GetProperty("x-mesh").GetString());
        Assert.False(headers.TryGetProperty("x-drop", out _));
        Assert.Equal("yes", result.GetProperty("headers").GetProperty("x-resp").GetString());
    }

    [Fact]
    public async Task MeshHTTPRouteRewritePath_ReplacesTheMatchedPrefix()
    {
        var echo = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/old/page?x=1"));

        Assert.Equal("/new/page?x=1", echo.GetProperty("path").GetString());
    }

    [Fact]
    public async Task MeshHTTPRouteRequestMirror_CopyReachesTheMirrorPodAnswerComesFromTheBackend()
    {
        // Mirrors come from the shared GatewayPipeline: the copy goes over HBONE to reviews-v2 as well.
        var path = "/mirror/" + Guid.NewGuid().ToString("N");

        var echo = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, path));

        Assert.Equal("reviews-v1", echo.GetProperty("pod").GetString());
        Assert.Contains(mesh.V1.Lines, l => l == "REQUEST GET " + path);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!mesh.V2.Lines.Contains("REQUEST GET " + path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50); // the mirror is fire and forget: it may land after the answer
        }

        Assert.Contains(mesh.V2.Lines, l => l == "REQUEST GET " + path);
    }

    [Fact]
    public async Task MeshConsumerRoute_AppliesOnlyToClientsOfItsNamespace()
    {
        var consumer = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/", as_: mesh.ConsumerCert));
        var producer = Echo(await mesh.GetAsync(mesh.ReviewsVip, 9080, "/"));

        Assert.Equal("reviews-v2", consumer.GetProperty("pod").GetString());
        Assert.Equal("reviews-v1", producer.GetProperty("pod").GetString());
    }

    [Fact]
    public async Task MeshPorts_ServiceWithoutRoutes_IsPassedThroughToItself()
    {
        var echo = Echo(await mesh.GetAsync(mesh.ReviewsV2Vip, 9080, "/anything"));

        Assert.Equal("reviews-v2", echo.GetProperty("pod").GetString());
        Assert.Equal(mesh.WaypointCert.Identity.ToString(), echo.GetProperty("peer").GetString());
    }

    [Fact]
    public async Task TcpServicePort_BytesAreProxiedThroughHbone()
    {
        var result = await mesh.SendAsync(new
        {
            hbone = mesh.WaypointIp + ":15008",
            expectSan = mesh.WaypointCert.Identity.ToString(),
            authority = mesh.ReviewsVip + ":9090",
            raw = "not http, just bytes\n",
        });

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("not http, just bytes\n", result.GetProperty("raw").GetString());
        Assert.Contains(mesh.V1.Lines, l => l == $"CONNECT {mesh.V1Ip}:9000 {mesh.WaypointCert.Identity}");
    }

    [Fact]
    public async Task DestinationWithWrongIdentity_IsRefusedAnd502()
    {
        var failuresBefore = mesh.Connector.Failures;

        var result = await mesh.GetAsync(mesh.RatingsVip, 9080, "/");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(502, result.GetProperty("status").GetInt32());
        Assert.True(mesh.Connector.Failures > failuresBefore);
    }
}
