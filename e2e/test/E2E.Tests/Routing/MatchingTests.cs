using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Routing;

/// <summary>
/// HTTPRoute matching through the real binary: path Exact/PathPrefix/RegularExpression, header and query
/// matches (Exact and RegularExpression), method, and the spec's precedence and tie-breaks across routes.
/// Each area has its own hostname so the areas cannot influence each other; each rule sends to a
/// different echo backend so the answer's "backend" says which rule won.
/// </summary>
public sealed class MatchingTests(MatchingTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<MatchingTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Theory]
    [InlineData("/exact", "echo-a")]
    [InlineData("/prefix", "echo-b")]
    [InlineData("/prefix/", "echo-b")]
    [InlineData("/prefix/deeper/still", "echo-b")]
    [InlineData("/regex/123/item", "echo-c")]
    [InlineData("/trail", "echo-d")]           // a trailing slash in the prefix is ignored
    [InlineData("/trail/x", "echo-d")]
    public async Task Path_matches_route_to_their_rule(string path, string backend)
    {
        var reply = await Client.SendAsync("paths.example", Port, path);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
        Assert.Equal(path, reply.Echoed.Path);
    }

    [Theory]
    [InlineData("/exact/")]        // Exact means exact: no trailing slash
    [InlineData("/exactly")]
    [InlineData("/prefixed")]      // PathPrefix matches whole segments only
    [InlineData("/regex/abc/item")]
    [InlineData("/")]
    public async Task Paths_no_rule_matches_get_404(string path)
    {
        var reply = await Client.SendAsync("paths.example", Port, path);

        Assert.Equal(404, reply.Status);
        Assert.Null(reply.Echo);
    }

    [Fact]
    public async Task Query_string_does_not_take_part_in_path_matching()
    {
        var reply = await Client.SendAsync("paths.example", Port, "/exact?x=1");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-a", reply.Echoed.Backend);
        Assert.Equal("x=1", reply.Echoed.Query);
    }

    [Theory]
    [InlineData("version", "two", "echo-b")]
    [InlineData("Version", "two", "echo-b")]    // header names are case-insensitive
    [InlineData("version", "three", "echo-a")]
    [InlineData("version", "TWO", "echo-a")]     // header values are case-sensitive
    [InlineData("x-color", "red", "echo-c")]     // RegularExpression ^(red|blue)$
    [InlineData("x-color", "blue", "echo-c")]
    [InlineData("x-color", "green", "echo-a")]
    public async Task Header_matches_exact_and_regex(string name, string value, string backend)
    {
        var reply = await Client.SendAsync("headers.example", Port, "/", headers: [(name, value)]);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    [Theory]
    [InlineData("/?animal=whale", "echo-b")]
    [InlineData("/?animal=dolphin", "echo-a")]
    [InlineData("/?color=grey", "echo-c")]
    [InlineData("/?color=gray&x=y", "echo-c")]
    [InlineData("/?color=green", "echo-a")]
    [InlineData("/?ANIMAL=whale", "echo-a")]     // query parameter names are case-sensitive
    [InlineData("/", "echo-a")]
    public async Task Query_param_matches_exact_and_regex(string pathAndQuery, string backend)
    {
        var reply = await Client.SendAsync("query.example", Port, pathAndQuery);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    [Theory]
    [InlineData("POST", "echo-b")]
    [InlineData("GET", "echo-a")]
    [InlineData("PUT", "echo-a")]
    public async Task Method_match(string method, string backend)
    {
        var reply = await Client.SendAsync("method.example", Port, "/thing", method);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
        Assert.Equal(method, reply.Echoed.Method);
    }

    /// <summary>
    /// Precedence across two routes (HTTPRoutePathMatchOrder and the spec's list): Exact, then longest
    /// prefix, then method, then most headers, then most query params.
    /// </summary>
    [Theory]
    [InlineData("GET", "/match", null, "echo-c")]                   // Exact beats an equally long prefix of another route
    [InlineData("POST", "/match", null, "echo-c")]                  // Exact beats a prefix with a method match
    [InlineData("GET", "/match/x", null, "echo-a")]
    [InlineData("GET", "/match/longer/x", null, "echo-b")]          // longest prefix, though a later rule
    [InlineData("POST", "/match/x", null, "echo-d")]                // method beats none
    [InlineData("POST", "/match/x", "x-h", "echo-d")]               // method beats a header match
    [InlineData("GET", "/match/x", "x-h", "echo-e")]                // a header match beats none
    [InlineData("GET", "/match/x?q=1", "x-h", "echo-e")]            // headers beat query params
    [InlineData("GET", "/match/x?q=1", null, "echo-f")]             // a query match beats none
    public async Task Precedence_across_routes_follows_the_spec(string method, string pathAndQuery, string? header, string backend)
    {
        var reply = await Client.SendAsync(
            "precedence.example",
            Port,
            pathAndQuery,
            method,
            header is null ? null : [(header, "1")]);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    [Theory]
    [InlineData("x-a", null, "echo-a")]
    [InlineData("x-a", "x-b", "echo-b")]   // two header matches beat one
    public async Task More_header_matches_win(string first, string? second, string backend)
    {
        var headers = new List<(string, string)> { (first, "1") };
        if (second is not null)
        {
            headers.Add((second, "1"));
        }

        var reply = await Client.SendAsync("counts.example", Port, "/", headers: headers);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    [Theory]
    [InlineData("/q?a=1", "echo-c")]
    [InlineData("/q?a=1&b=1", "echo-d")]   // two query matches beat one
    public async Task More_query_matches_win(string pathAndQuery, string backend)
    {
        var reply = await Client.SendAsync("counts.example", Port, pathAndQuery);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    [Theory]
    [InlineData("/tie", "echo-a")]         // the oldest creationTimestamp wins, though its name sorts last
    [InlineData("/name-tie", "echo-c")]    // same timestamp: default/name-a before default/name-b
    [InlineData("/ns-tie", "echo-e")]      // same timestamp: ns-a/zzz before ns-b/aaa
    [InlineData("/rule-order", "echo-a")]  // same route: the first rule in list order
    public async Task Ties_break_by_age_then_namespace_and_name_then_rule_order(string path, string backend)
    {
        var reply = await Client.SendAsync("tiebreak.example", Port, path);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
    }

    /// <summary>
    /// Hostname precedence across routes: an exact hostname beats a wildcard; a wildcard is a suffix
    /// match over one or more labels and never matches the apex; the Host port and case do not matter.
    /// </summary>
    [Theory]
    [InlineData("foo.wild.example", "echo-b")]
    [InlineData("bar.wild.example", "echo-a")]
    [InlineData("a.b.wild.example", "echo-a")]
    [InlineData("FOO.Wild.Example", "echo-b")]
    public async Task Exact_hostnames_beat_wildcards_and_wildcards_are_suffix_matches(string host, string backend)
    {
        // curl keeps the Host header's case as written.
        var result = await Curl.RunAsync(S.GatewayAddress, "h.invalid", Port, "/", extra: ["-H", $"Host: {host}:{Port}"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
        Assert.Contains($"\"backend\":\"{backend}\"", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wildcard_hostname_does_not_match_its_apex()
    {
        var reply = await Client.SendAsync("wild.example", Port, "/");

        Assert.Equal(404, reply.Status);
    }

    [Fact]
    public async Task Matching_works_the_same_through_curl()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, "headers.example", Port, "/", extra: ["-H", "version: two"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
        Assert.Contains("\"backend\":\"echo-b\"", result.Body, StringComparison.Ordinal);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "matching";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var echoes = new List<EchoBackend>();
            foreach (var name in new[] { "echo-a", "echo-b", "echo-c", "echo-d", "echo-e", "echo-f" })
            {
                echoes.Add(await s.StartEchoAsync(name));
            }

            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Namespace("ns-a"),
                Namespace("ns-b"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port, from: "All"))));
            s.WriteFile("backends.yaml", Documents(
                [.. echoes.Select(e => e.ServiceYaml()),
                 echoes[4].ServiceYaml(ns: "ns-a"),
                 echoes[5].ServiceYaml(ns: "ns-b")]));

            s.WriteFile("paths.yaml", Route("paths", hostnames: ["paths.example"], rules: """
                - matches:
                  - path: {type: Exact, value: /exact}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /prefix}
                  backendRefs:
                  - {name: echo-b, port: 8080}
                - matches:
                  - path: {type: RegularExpression, value: "/regex/[0-9]+/item"}
                  backendRefs:
                  - {name: echo-c, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /trail/}
                  backendRefs:
                  - {name: echo-d, port: 8080}
                """));

            s.WriteFile("counts.yaml", Documents(
                Route("one-header", hostnames: ["counts.example"], rules: """
                    - matches:
                      - headers:
                        - {name: x-a, value: "1"}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    - matches:
                      - queryParams:
                        - {name: a, value: "1"}
                      backendRefs:
                      - {name: echo-c, port: 8080}
                    """),
                Route("two-headers", created: "2025-01-01T00:00:00Z", hostnames: ["counts.example"], rules: """
                    - matches:
                      - headers:
                        - {name: x-a, value: "1"}
                        - {name: x-b, value: "1"}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    - matches:
                      - queryParams:
                        - {name: a, value: "1"}
                        - {name: b, value: "1"}
                      backendRefs:
                      - {name: echo-d, port: 8080}
                    """)));

            s.WriteFile("hostnames.yaml", Documents(
                Route("wild", hostnames: ["*.wild.example"], rules: "- backendRefs:\n  - {name: echo-a, port: 8080}"),
                Route("exact-host", hostnames: ["foo.wild.example"], rules: "- backendRefs:\n  - {name: echo-b, port: 8080}")));

            s.WriteFile("headers.yaml", Route("headers", hostnames: ["headers.example"], rules: """
                - matches:
                  - headers:
                    - {name: version, value: two}
                  backendRefs:
                  - {name: echo-b, port: 8080}
                - matches:
                  - headers:
                    - {type: RegularExpression, name: x-color, value: "^(red|blue)$"}
                  backendRefs:
                  - {name: echo-c, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                """));

            s.WriteFile("query.yaml", Route("query", hostnames: ["query.example"], rules: """
                - matches:
                  - queryParams:
                    - {type: Exact, name: animal, value: whale}
                  backendRefs:
                  - {name: echo-b, port: 8080}
                - matches:
                  - queryParams:
                    - {type: RegularExpression, name: color, value: "^gr[ae]y$"}
                  backendRefs:
                  - {name: echo-c, port: 8080}
                - backendRefs:
                  - {name: echo-a, port: 8080}
                """));

            s.WriteFile("method.yaml", Route("method", hostnames: ["method.example"], rules: """
                - matches:
                  - method: POST
                  backendRefs:
                  - {name: echo-b, port: 8080}
                - backendRefs:
                  - {name: echo-a, port: 8080}
                """));

            s.WriteFile("precedence.yaml", Documents(
                Route("prec-one", hostnames: ["precedence.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /match}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /match/longer}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """),
                Route("prec-two", hostnames: ["precedence.example"], rules: """
                    - matches:
                      - path: {type: Exact, value: /match}
                      backendRefs:
                      - {name: echo-c, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /match}
                        method: POST
                      backendRefs:
                      - {name: echo-d, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /match}
                        headers:
                        - {name: x-h, value: "1"}
                      backendRefs:
                      - {name: echo-e, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /match}
                        queryParams:
                        - {name: q, value: "1"}
                      backendRefs:
                      - {name: echo-f, port: 8080}
                    """)));

            s.WriteFile("tiebreak.yaml", Documents(
                Route("zz-old", created: "2020-01-01T00:00:00Z", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /tie}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("aa-new", created: "2024-06-01T00:00:00Z", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /tie}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """),
                Route("name-b", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /name-tie}
                      backendRefs:
                      - {name: echo-d, port: 8080}
                    """),
                Route("name-a", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /name-tie}
                      backendRefs:
                      - {name: echo-c, port: 8080}
                    """),
                Route("aaa", ns: "ns-b", parentRefs: "- {name: gw, namespace: default}", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /ns-tie}
                      backendRefs:
                      - {name: echo-f, port: 8080}
                    """),
                Route("zzz", ns: "ns-a", parentRefs: "- {name: gw, namespace: default}", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /ns-tie}
                      backendRefs:
                      - {name: echo-e, port: 8080}
                    """),
                Route("rule-order", hostnames: ["tiebreak.example"], rules: """
                    - matches:
                      - path: {type: PathPrefix, value: /rule-order}
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    - matches:
                      - path: {type: PathPrefix, value: /rule-order}
                      backendRefs:
                      - {name: echo-b, port: 8080}
                    """)));
        }
    }
}
