using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Routing;

/// <summary>
/// HTTPRoute filters through the real binary: RequestHeaderModifier, ResponseHeaderModifier,
/// RequestRedirect (scheme, hostname, port, full/prefix path, every status code), URLRewrite (hostname,
/// full/prefix path) and filters on a backendRef.
/// </summary>
public sealed class FilterTests(FilterTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<FilterTests.Fixture>(fixture, output)
{
    private int Port => Shared.Port;

    [Fact]
    public async Task Request_header_modifier_sets_adds_and_removes()
    {
        var reply = await Client.SendAsync("reqhdr.example", Port, "/", headers:
        [
            ("x-set", "from-client"),
            ("x-add", "from-client"),
            ("x-remove", "must-go"),
            ("x-keep", "kept"),
        ]);

        Assert.Equal(200, reply.Status);
        var echo = reply.Echoed;
        Assert.Equal("set-value", echo.Header("x-set"));
        Assert.Equal(["from-client", "added"], SplitValues(echo.Header("x-add")));
        Assert.Null(echo.Header("x-remove"));
        Assert.Equal("kept", echo.Header("x-keep"));
        Assert.Equal("new-value", echo.Header("x-set-new"));
    }

    [Fact]
    public async Task Response_header_modifier_sets_adds_and_removes()
    {
        var reply = await Client.SendAsync("resphdr.example", Port, "/", headers:
        [
            ("x-echo-response-headers", "x-resp-set:backend,x-resp-add:backend,x-resp-remove:backend,x-resp-keep:kept"),
        ]);

        Assert.Equal(200, reply.Status);
        Assert.Equal("set", reply.Header("x-resp-set"));
        Assert.Equal(["backend", "added"], SplitValues(reply.Header("x-resp-add")));
        Assert.Null(reply.Header("x-resp-remove"));
        Assert.Equal("kept", reply.Header("x-resp-keep"));
        Assert.Equal("echo-a", reply.Header("x-echo-backend"));
    }

    /// <summary>
    /// Location per the spec: scheme defaults to the request's, hostname to the request's, and the port
    /// to the listener's unless a scheme is set (then its well-known port, left out of the URL).
    /// </summary>
    [Theory]
    [InlineData("/scheme", 302, "https", "redirect.example", 443, "/scheme")]
    [InlineData("/hostname", 302, "http", "example.org", -1, "/hostname")]
    [InlineData("/port", 302, "http", "redirect.example", 8443, "/port")]
    [InlineData("/full", 303, "http", "redirect.example", -1, "/replaced")]
    [InlineData("/prefix-redirect/a/b", 307, "http", "redirect.example", -1, "/new-prefix/a/b")]
    [InlineData("/prefix-redirect", 307, "http", "redirect.example", -1, "/new-prefix")]
    [InlineData("/code-308", 308, "http", "example.net", -1, "/code-308")]
    [InlineData("/code-301", 301, "https", "redirect.example", 8443, "/code-301")]
    public async Task Request_redirect_answers_with_the_location_and_code(string path, int status, string scheme, string host, int port, string locationPath)
    {
        var reply = await Client.SendAsync("redirect.example", Port, path);

        Assert.Equal(status, reply.Status);
        Assert.Null(reply.Echo);
        var location = reply.Location;
        Assert.NotNull(location);
        Assert.True(location.IsAbsoluteUri, "Location must be absolute: " + location);
        Assert.Equal(scheme, location.Scheme);
        Assert.Equal(host, location.Host);
        Assert.Equal(port == -1 ? Port : port, location.Port);
        Assert.Equal(locationPath, location.AbsolutePath);
    }

    [Fact]
    public async Task Redirect_to_a_well_known_port_leaves_the_port_out_of_the_location()
    {
        var reply = await Client.SendAsync("redirect.example", Port, "/scheme");

        Assert.Equal("https://redirect.example/scheme", reply.Header("location"));
    }

    [Theory]
    [InlineData("/host-rewrite/x", "rewritten.example", "/host-rewrite/x")]
    [InlineData("/prefix/one/two", "rewrite.example", "/one/two")]
    [InlineData("/prefix/one", "rewrite.example", "/one")]
    [InlineData("/strip/three", "rewrite.example", "/three")]
    [InlineData("/strip", "rewrite.example", "/")]
    [InlineData("/full-prefix/a/b", "rewrite.example", "/full-replaced")]
    [InlineData("/both/x", "both.rewritten.example", "/elsewhere")]
    public async Task Url_rewrite_changes_host_and_path_seen_by_the_backend(string path, string host, string backendPath)
    {
        var reply = await Client.SendAsync("rewrite.example", Port, path + "?keep=1");

        Assert.Equal(200, reply.Status);
        Assert.Equal(host, reply.Echoed.HostName);
        Assert.Equal(backendPath, reply.Echoed.Path);
        Assert.Equal("keep=1", reply.Echoed.Query);
    }

    [Fact]
    public async Task BackendRef_filters_apply_only_to_requests_sent_to_that_backend()
    {
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < 60; i++)
        {
            var reply = await Client.SendAsync("backendfilter.example", Port, "/");
            Assert.Equal(200, reply.Status);
            var echo = reply.Echoed;
            var expected = echo.Backend == "echo-a" ? "for-a" : "for-b";
            Assert.Equal(expected, echo.Header("x-backend-filter"));
            Assert.Equal("yes", echo.Header("x-rule-filter"));
            seen[echo.Backend] = seen.GetValueOrDefault(echo.Backend) + 1;
        }

        Assert.True(seen.ContainsKey("echo-a") && seen.ContainsKey("echo-b"), "both backends should serve: " + string.Join(", ", seen));
    }

    [Fact]
    public async Task Redirect_and_rewrite_in_one_rule_are_refused_with_IncompatibleFilters()
    {
        var status = await S.Gateway.StatusAsync();

        var accepted = status.RouteParentCondition("default", "incompatible", "gw", "Accepted");
        Assert.Equal("False", accepted?.Status);
        Assert.Equal("IncompatibleFilters", accepted?.Reason);
        Assert.Equal(404, (await Client.SendAsync("incompatible.example", Port, "/")).Status);
    }

    private static string[] SplitValues(string? header) =>
        header is null ? [] : header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "filters";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = await s.StartEchoAsync("echo-a");
            var b = await s.StartEchoAsync("echo-b");
            Port = s.FreePort();
            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)),
                a.ServiceYaml(),
                b.ServiceYaml()));

            s.WriteFile("headers.yaml", Documents(
                Route("reqhdr", hostnames: ["reqhdr.example"], rules: """
                    - filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier:
                          set:
                          - {name: X-Set, value: set-value}
                          - {name: X-Set-New, value: new-value}
                          add:
                          - {name: X-Add, value: added}
                          remove: [X-Remove]
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("resphdr", hostnames: ["resphdr.example"], rules: """
                    - filters:
                      - type: ResponseHeaderModifier
                        responseHeaderModifier:
                          set:
                          - {name: X-Resp-Set, value: set}
                          add:
                          - {name: X-Resp-Add, value: added}
                          remove: [X-Resp-Remove]
                      backendRefs:
                      - {name: echo-a, port: 8080}
                    """)));

            s.WriteFile("redirects.yaml", Route("redirects", hostnames: ["redirect.example"], rules: """
                - matches:
                  - path: {type: PathPrefix, value: /scheme}
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {scheme: https}
                - matches:
                  - path: {type: PathPrefix, value: /hostname}
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {hostname: example.org}
                - matches:
                  - path: {type: PathPrefix, value: /port}
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {port: 8443}
                - matches:
                  - path: {type: PathPrefix, value: /full}
                  filters:
                  - type: RequestRedirect
                    requestRedirect:
                      path: {type: ReplaceFullPath, replaceFullPath: /replaced}
                      statusCode: 303
                - matches:
                  - path: {type: PathPrefix, value: /prefix-redirect}
                  filters:
                  - type: RequestRedirect
                    requestRedirect:
                      path: {type: ReplacePrefixMatch, replacePrefixMatch: /new-prefix}
                      statusCode: 307
                - matches:
                  - path: {type: PathPrefix, value: /code-308}
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {hostname: example.net, statusCode: 308}
                - matches:
                  - path: {type: PathPrefix, value: /code-301}
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {scheme: https, port: 8443, statusCode: 301}
                """));

            s.WriteFile("rewrites.yaml", Route("rewrites", hostnames: ["rewrite.example"], rules: """
                - matches:
                  - path: {type: PathPrefix, value: /host-rewrite}
                  filters:
                  - type: URLRewrite
                    urlRewrite: {hostname: rewritten.example}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /prefix/one}
                  filters:
                  - type: URLRewrite
                    urlRewrite:
                      path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /strip}
                  filters:
                  - type: URLRewrite
                    urlRewrite:
                      path: {type: ReplacePrefixMatch, replacePrefixMatch: /}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /full-prefix}
                  filters:
                  - type: URLRewrite
                    urlRewrite:
                      path: {type: ReplaceFullPath, replaceFullPath: /full-replaced}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                - matches:
                  - path: {type: PathPrefix, value: /both}
                  filters:
                  - type: URLRewrite
                    urlRewrite:
                      hostname: both.rewritten.example
                      path: {type: ReplaceFullPath, replaceFullPath: /elsewhere}
                  backendRefs:
                  - {name: echo-a, port: 8080}
                """));

            s.WriteFile("incompatible.yaml", Route("incompatible", hostnames: ["incompatible.example"], rules: """
                - filters:
                  - type: RequestRedirect
                    requestRedirect: {hostname: example.org}
                  - type: URLRewrite
                    urlRewrite: {hostname: example.net}
                """));

            s.WriteFile("backend-filters.yaml", Route("backend-filters", hostnames: ["backendfilter.example"], rules: """
                - filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier:
                      set:
                      - {name: x-rule-filter, value: "yes"}
                  backendRefs:
                  - name: echo-a
                    port: 8080
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier:
                        set:
                        - {name: x-backend-filter, value: for-a}
                  - name: echo-b
                    port: 8080
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier:
                        set:
                        - {name: x-backend-filter, value: for-b}
                """));
        }
    }
}
