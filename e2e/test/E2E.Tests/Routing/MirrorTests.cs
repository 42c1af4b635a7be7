using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Routing;

/// <summary>
/// RequestMirror through the real binary: the client gets the primary backend's answer while copies go
/// to every mirror (several mirrors) for the configured percentage / fraction of requests.
/// </summary>
public sealed class MirrorTests(MirrorTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<MirrorTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Fact]
    public async Task Every_mirror_receives_a_copy_and_the_client_gets_the_primary_answer()
    {
        var id = Guid.NewGuid().ToString("N");

        var reply = await Client.SendAsync("mirror.example", Port, "/mirror/x?q=" + id, headers: [("x-test-id", id)]);

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-primary", reply.Echoed.Backend);
        foreach (var mirror in new[] { Shared.MirrorOne, Shared.MirrorTwo })
        {
            var (copies, _) = await Poll.UntilAsync(
                async () => (await mirror.RequestsAsync()).Where(r => r.Header("x-test-id") == id).ToList(),
                found => found.Count > 0,
                TimeSpan.FromSeconds(5),
                $"{mirror.Name} sees the mirrored request");
            var copy = Assert.Single(copies);
            Assert.Equal("/mirror/x", copy.Path);
            Assert.Equal("q=" + id, copy.Query);
            Assert.Equal("GET", copy.Method);
        }

        // The primary saw it exactly once: mirroring is not retrying.
        var primarySeen = (await Shared.Primary.RequestsAsync()).Count(r => r.Header("x-test-id") == id);
        Assert.Equal(1, primarySeen);
    }

    [Fact]
    public async Task Mirrors_receive_the_request_body()
    {
        var id = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://mirror.example:{Port}/mirror/post")
        {
            Content = new ByteArrayContent(new byte[5000]),
        };
        request.Headers.Add("x-test-id", id);

        var reply = await Client.SendAsync(request);

        Assert.Equal(200, reply.Status);
        Assert.Contains("\"bodyLength\":5000", reply.Body, StringComparison.Ordinal);
        var (copies, _) = await Poll.UntilAsync(
            async () => (await Shared.MirrorOne.RequestsAsync()).Where(r => r.Header("x-test-id") == id).ToList(),
            found => found.Count > 0,
            TimeSpan.FromSeconds(5),
            "the mirror sees the POST");
        var copy = Assert.Single(copies);
        Assert.Equal("POST", copy.Method);
        Assert.Equal(5000, copy.BodyLength);
    }

    [Fact]
    public async Task A_slow_mirror_does_not_delay_the_client()
    {
        var id = Guid.NewGuid().ToString("N");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // x-echo-delay-ms makes the mirror copy answer after 6 s; the primary's backendRef filter removes the
        // header, so only the mirror is slow and the client must not wait for it. The margin is wide because
        // a cold gateway on a loaded CI machine can take over a second for its first requests.
        var reply = await Client.SendAsync("mirror.example", Port, "/slow-mirror", headers: [("x-test-id", id), ("x-echo-delay-ms", "6000")]);

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-primary", reply.Echoed.Backend);
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(4000), $"client waited {clock.ElapsedMilliseconds} ms for a mirror that answers after 6000 ms");
    }

    [Theory]
    [InlineData("/percent", 50)]
    [InlineData("/fraction", 25)]
    [InlineData("/zero", 0)]
    public async Task Mirror_percentage_is_honoured(string path, int percent)
    {
        const int requests = 200;
        var id = Guid.NewGuid().ToString("N");
        for (var i = 0; i < requests; i++)
        {
            var reply = await Client.SendAsync("mirror.example", Port, path, headers: [("x-test-id", id)]);
            Assert.Equal(200, reply.Status);
        }

        // Mirrors are fire-and-forget: give the last copies a moment to land before counting.
        var expected = requests * percent / 100.0;
        var (count, _) = await Poll.UntilAsync(
            async () => (await Shared.MirrorPercent.RequestsAsync()).Count(r => r.Header("x-test-id") == id),
            c => percent == 0 || c >= expected - 35,
            TimeSpan.FromSeconds(5),
            $"mirrored share for {path}");
        if (percent == 0)
        {
            await Task.Delay(300);
            count = (await Shared.MirrorPercent.RequestsAsync()).Count(r => r.Header("x-test-id") == id);
            Assert.Equal(0, count);
        }
        else
        {
            // Binomial(200, p): 35 is more than 4 standard deviations at p = 0.5.
            Assert.InRange(count, expected - 35, expected + 35);
        }
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public EchoBackend Primary { get; private set; } = null!;

        public EchoBackend MirrorOne { get; private set; } = null!;

        public EchoBackend MirrorTwo { get; private set; } = null!;

        public EchoBackend MirrorPercent { get; private set; } = null!;

        protected override string Name => "mirror";

        protected override async Task ConfigureAsync(Scenario s)
        {
            Primary = await s.StartEchoAsync("echo-primary");
            MirrorOne = await s.StartEchoAsync("echo-mirror-1");
            MirrorTwo = await s.StartEchoAsync("echo-mirror-2");
            MirrorPercent = await s.StartEchoAsync("echo-mirror-pct");
            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)),
                Primary.ServiceYaml(),
                MirrorOne.ServiceYaml(),
                MirrorTwo.ServiceYaml(),
                MirrorPercent.ServiceYaml()));
            s.WriteFile("mirror.yaml", Route("mirror", hostnames: ["mirror.example"], rules: """
                - matches:
                  - path: {type: PathPrefix, value: /mirror}
                  filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-1, port: 8080}
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-2, port: 8080}
                  backendRefs:
                  - {name: echo-primary, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /slow-mirror}
                  filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-1, port: 8080}
                  backendRefs:
                  - name: echo-primary
                    port: 8080
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier:
                        remove: [x-echo-delay-ms]
                - matches:
                  - path: {type: PathPrefix, value: /percent}
                  filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-pct, port: 8080}
                      percent: 50
                  backendRefs:
                  - {name: echo-primary, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /fraction}
                  filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-pct, port: 8080}
                      fraction: {numerator: 1, denominator: 4}
                  backendRefs:
                  - {name: echo-primary, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /zero}
                  filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: echo-mirror-pct, port: 8080}
                      percent: 0
                  backendRefs:
                  - {name: echo-primary, port: 8080}
                """));
        }
    }
}
