using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Admin;

/// <summary>
/// The admin API (/ready, /status, /config_dump, /metrics) and the forwarding basics every route relies
/// on: X-Forwarded-* headers, HTTP/2 cleartext clients, named rules, only our GatewayClass being served.
/// </summary>
public sealed class AdminAndForwardingTests(AdminAndForwardingTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<AdminAndForwardingTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Fact]
    public async Task Ready_answers_200_once_config_is_applied()
    {
        var (status, _) = await S.Gateway.AdminGetAsync("/ready");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Status_is_a_kubernetes_style_list_of_every_object()
    {
        var status = await S.Gateway.StatusAsync();

        Assert.NotEmpty(status.Items);
        foreach (var item in status.Items)
        {
            Assert.False(string.IsNullOrEmpty((string?)item!["apiVersion"]), "apiVersion missing: " + item.ToJsonString());
            Assert.False(string.IsNullOrEmpty((string?)item["kind"]), "kind missing: " + item.ToJsonString());
            Assert.False(string.IsNullOrEmpty((string?)item["metadata"]?["name"]), "metadata.name missing: " + item.ToJsonString());
            Assert.NotNull(item["metadata"]?["generation"]);
            Assert.IsType<JsonObject>(item["status"]);
        }

        var gatewayClass = status.Require("GatewayClass", null, "meshway");
        Assert.Equal("gateway.networking.k8s.io/v1", (string?)gatewayClass["apiVersion"]);
        var classAccepted = gatewayClass["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted");
        Assert.Equal("True", (string?)classAccepted!["status"]);
        var features = gatewayClass["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => f is JsonObject o ? (string?)o["name"] : (string?)f)
            .ToList();
        Assert.Contains("HTTPRoute", features);
        Assert.Contains("HTTPRouteRequestMirror", features);

        Assert.Equal("True", status.GatewayCondition("default", "gw", "Accepted")?.Status);
        Assert.Equal("True", status.GatewayCondition("default", "gw", "Programmed")?.Status);

        var route = status.Require("HTTPRoute", "default", "basic");
        Assert.Equal(7L, (long?)route["metadata"]!["generation"]);
        var parent = route["status"]!["parents"]!.AsArray().Single()!;
        Assert.Equal(ControllerName, (string?)parent["controllerName"]);
        Assert.Equal("gw", (string?)parent["parentRef"]!["name"]);
        var accepted = status.RouteParentCondition("default", "basic", "gw", "Accepted");
        Assert.Equal("True", accepted?.Status);
        Assert.Equal("Accepted", accepted?.Reason);
        Assert.Equal(7L, accepted?.ObservedGeneration);
        Assert.Equal("True", status.RouteParentCondition("default", "basic", "gw", "ResolvedRefs")?.Status);
    }

    [Fact]
    public async Task Gateways_of_another_controller_are_not_served()
    {
        var foreign = new GatewayClient(Shared.ForeignAddress);

        var error = await Record.ExceptionAsync(() => foreign.SendAsync("any.example", Shared.ForeignPort, "/"));

        Assert.IsType<HttpRequestException>(error);
        var status = await S.Gateway.StatusAsync();
        var foreignGateway = status.Find("Gateway", "default", "foreign");
        Assert.True(
            foreignGateway is null || status.GatewayCondition("default", "foreign", "Programmed")?.Status != "True",
            "a Gateway of another controller must not be programmed by meshway: " + status);
        foreign.Dispose();
    }

    [Fact]
    public async Task Config_dump_is_json_describing_the_listeners_and_routes()
    {
        var dump = await S.Gateway.ConfigDumpAsync();
        var text = dump.ToJsonString();

        Assert.IsType<JsonObject>(dump);
        Assert.Contains(Port.ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        Assert.Contains("basic", text, StringComparison.Ordinal);
        Assert.Contains("echo-a", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_rules_appear_in_the_config_dump()
    {
        var dump = (await S.Gateway.ConfigDumpAsync()).ToJsonString();

        Assert.Contains("canary-rule", dump, StringComparison.Ordinal);
        var reply = await Client.SendAsync("named.example", Port, "/canary");
        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-b", reply.Echoed.Backend);
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_and_status()
    {
        const int sent = 7;
        for (var i = 0; i < sent; i++)
        {
            Assert.Equal(200, (await Client.SendAsync("metrics.example", Port, "/")).Status);
        }

        var metrics = await S.Gateway.MetricsAsync();

        // Prometheus text: some sample naming the route with code 200 counts at least what we sent.
        var samples = metrics.Split('\n')
            .Where(l => !l.StartsWith('#') && l.Contains("metrics-route", StringComparison.Ordinal) && l.Contains("200", StringComparison.Ordinal))
            .Where(l => !l.Contains("_bucket", StringComparison.Ordinal))
            .ToList();
        Assert.True(samples.Count > 0, "no request-count sample for metrics-route/200 in:\n" + metrics);
        var best = samples.Max(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        Assert.True(best >= sent, $"expected a count >= {sent} among:\n{string.Join('\n', samples)}");
        Assert.Contains("_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X_forwarded_headers_reach_the_backend()
    {
        var reply = await Client.SendAsync("basic.example", Port, "/xff");

        var echo = reply.Echoed;
        Assert.Contains("127.0.0.1", echo.Header("x-forwarded-for") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("http", echo.Header("x-forwarded-proto"));
        Assert.StartsWith("basic.example", echo.Header("x-forwarded-host") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("basic.example", echo.HostName);
    }

    [Fact]
    public async Task Client_x_forwarded_for_is_appended_to_not_replaced()
    {
        var reply = await Client.SendAsync("basic.example", Port, "/xff", headers: [("x-forwarded-for", "203.0.113.9")]);

        var xff = reply.Echoed.Header("x-forwarded-for") ?? string.Empty;
        Assert.StartsWith("203.0.113.9", xff, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", xff, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http2_cleartext_client_with_prior_knowledge_is_served()
    {
        var reply = await Client.SendAsync("basic.example", Port, "/h2c", version: HttpVersion.Version20);

        Assert.Equal(200, reply.Status);
        Assert.Equal(HttpVersion.Version20, reply.Version);
        Assert.Equal("/h2c", reply.Echoed.Path);
    }

    [Fact]
    public async Task Curl_http2_prior_knowledge_and_http11_both_work()
    {
        var h2 = await Curl.RunAsync(S.GatewayAddress, "basic.example", Port, "/curl-h2", false, "--http2-prior-knowledge");
        var h1 = await Curl.RunAsync(S.GatewayAddress, "basic.example", Port, "/curl-h1", false, "--http1.1");

        Assert.True(h2.ExitCode == 0, h2.ToString());
        Assert.Equal(200, h2.Status);
        Assert.Equal("2", h2.HttpVersion);
        Assert.Equal(200, h1.Status);
        Assert.Equal("1.1", h1.HttpVersion);
        Assert.Contains("\"path\":\"/curl-h1\"", h1.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_body_is_forwarded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://basic.example:{Port}/upload")
        {
            Content = new ByteArrayContent(new byte[100_000]),
        };

        var reply = await Client.SendAsync(request);

        Assert.Equal(200, reply.Status);
        Assert.Contains("\"bodyLength\":100000", reply.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Large_streamed_responses_arrive_intact(string version)
    {
        const int size = 8 * 1024 * 1024 + 7;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://basic.example:{Port}/big")
        {
            Version = Version.Parse(version),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add("x-echo-body-bytes", size.ToString(CultureInfo.InvariantCulture));

        var reply = await Client.SendAsync(request);

        Assert.Equal(200, reply.Status);
        Assert.Equal(size, reply.Body.Length);
        for (var i = 0; i < reply.Body.Length; i++)
        {
            if (reply.Body[i] != (char)('a' + (i % 26)))
            {
                Assert.Fail($"byte {i} is '{reply.Body[i]}', expected '{(char)('a' + (i % 26))}'");
            }
        }
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Concurrent_requests_each_get_their_own_answer(string version)
    {
        const int total = 300;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, ct) =>
        {
            var path = $"/concurrent/{i}";
            var reply = await Client.SendAsync("basic.example", Port, path + "?i=" + i, version: Version.Parse(version), cancellationToken: ct);
            if (reply.Status != 200 || reply.Echo?.Path != path || reply.Echo.Query != "i=" + i)
            {
                failures.Enqueue($"{path}: {reply}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {total} failed or got another request's answer:\n{string.Join('\n', failures.Take(5))}");
    }

    [Fact]
    public async Task Garbage_on_a_listener_gets_an_http_error_and_the_gateway_keeps_serving()
    {
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Parse(S.GatewayAddress), Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("THIS IS NOT HTTP\r\n\r\n"u8.ToArray());
            var buffer = new byte[256];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var read = await stream.ReadAsync(buffer, cts.Token);
            var answer = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            // Kestrel answers 400 (bad request line) or 505 (bad version) depending on what it parsed.
            Assert.Matches(@"^HTTP/1\.1 (400|505) ", answer);
        }

        var reply = await Client.SendAsync("basic.example", Port, "/after-garbage");
        Assert.Equal(200, reply.Status);
    }

    [Fact]
    public async Task Upstream_connections_are_pooled_and_reused()
    {
        var remotes = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            var reply = await Client.SendAsync("basic.example", Port, "/pooled");
            Assert.Equal(200, reply.Status);
            remotes.Add(reply.Echoed.Remote);
        }

        // Sequential requests need one connection; allow a few for pool warm-up and races.
        Assert.True(remotes.Count <= 3, $"30 sequential requests used {remotes.Count} upstream connections: {string.Join(", ", remotes)}");
    }

    [Fact]
    public async Task Hop_by_hop_headers_are_not_forwarded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://basic.example:{Port}/hop");
        request.Headers.Connection.Add("x-hop");
        request.Headers.Add("x-hop", "must-not-pass");
        request.Headers.Add("x-end-to-end", "passes");

        var reply = await Client.SendAsync(request);

        Assert.Equal(200, reply.Status);
        Assert.True(reply.Echoed.Header("x-hop") is null, "x-hop was forwarded; backend saw: " + string.Join("; ", reply.Echoed.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value))));
        Assert.Equal("passes", reply.Echoed.Header("x-end-to-end"));
    }

    [Fact]
    public async Task Unknown_host_gets_404()
    {
        var reply = await Client.SendAsync("nobody.example", Port, "/");

        Assert.Equal(404, reply.Status);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public string ForeignAddress { get; private set; } = string.Empty;

        public int ForeignPort { get; private set; }

        protected override string Name => "admin";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = await s.StartEchoAsync("echo-a");
            var b = await s.StartEchoAsync("echo-b");
            Port = s.FreePort();
            ForeignAddress = s.ExtraGatewayAddress(2);
            ForeignPort = Loopback.FreePort(ForeignAddress);
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)),
                a.ServiceYaml(),
                b.ServiceYaml()));

            // A class of another controller: meshway must leave its Gateway alone.
            s.WriteFile("foreign.yaml", Documents(
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata:
                  name: not-ours
                spec:
                  controllerName: example.com/another-controller
                """,
                Gateway("default", "foreign", ForeignAddress, Listener("http", ForeignPort)).Replace("gatewayClassName: meshway", "gatewayClassName: not-ours", StringComparison.Ordinal)));

            s.WriteFile("routes.yaml", Documents(
                Route("basic", generation: 7, hostnames: ["basic.example"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("named", hostnames: ["named.example"], rules: """
                    - name: canary-rule
                      matches:
                      - path: {type: PathPrefix, value: /canary}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """),
                Route("metrics-route", hostnames: ["metrics.example"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """)));
        }
    }
}
