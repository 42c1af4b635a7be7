using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Config;

/// <summary>
/// Bad input never takes the gateway down: malformed YAML, unknown kinds, invalid regexes, a missing
/// Secret, a deleted file. Each gets a log line or the spec's status condition, the process stays up and
/// the last good routes keep serving.
/// </summary>
public sealed class BadInputTests(ITestOutputHelper output) : StandaloneScenarios(output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(5);

    private const string MalformedYaml = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: [unclosed
            namespace: : default
        spec: {parentRefs: [
        """;

    [Fact]
    public async Task Malformed_yaml_is_logged_and_the_last_good_routes_keep_serving()
    {
        var (s, port) = await StartTwoRoutesAsync("malformed");
        await using var load = BackgroundLoad.Start(s.Client, "two.example", port, "/");
        await load.WaitForAsync(20);

        s.WriteFile("broken.yaml", MalformedYaml);
        s.WriteFile("route-one.yaml", MalformedYaml);
        await Poll.UntilAsync(
            () => Task.FromResult(s.Gateway.LogsContain("broken.yaml") && s.Gateway.LogsContain("route-one.yaml")),
            logged => logged,
            Generous,
            "a log line naming each malformed file");

        // route-one's last good version keeps serving while its file is broken.
        for (var i = 0; i < 10; i++)
        {
            var reply = await s.Client.SendAsync("one.example", port, "/");
            Assert.Equal(200, reply.Status);
            Assert.Equal("echo-a", reply.Echoed.Backend);
            await Task.Delay(50);
        }

        Assert.False(s.Gateway.HasExited, "the gateway exited on malformed YAML");
        Assert.Equal(200, (await s.Gateway.AdminGetAsync("/ready")).Status);

        // The watcher still works: once the files are fixed the new version serves.
        s.DeleteFile("broken.yaml");
        s.WriteFile("route-one.yaml", RouteTo("one", "one.example", "echo-b"));
        await UntilAsync(s, "one.example", port, "/", r => r.Echo?.Backend == "echo-b", Generous, "fixed route-one serves echo-b");

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests to the unaffected route failed:\n{string.Join('\n', load.Failures)}");
    }

    [Fact]
    public async Task Unknown_kinds_and_non_yaml_files_are_ignored_with_a_log_line()
    {
        var s = NewScenario("unknown-kind");
        var a = await s.StartEchoAsync("echo-a");
        var port = s.FreePort();
        s.WriteFile("gateway.yaml", Documents(
            GatewayClass,
            Namespace("default"),
            Gateway("default", "gw", s.GatewayAddress, Listener("http", port)),
            a.ServiceYaml()));
        s.WriteFile("mixed.yaml", Documents(
            """
            apiVersion: example.com/v1
            kind: FooBar
            metadata:
              name: strange
              namespace: default
            spec:
              anything: goes
            """,
            RouteTo("one", "one.example", "echo-a")));
        s.WriteFile("notes.txt", "this is not yaml: [ at all");
        s.WriteFile("empty.yaml", string.Empty);
        s.WriteFile("comments-only.yml", "# nothing here yet\n---\n# still nothing\n");

        await s.StartGatewayAsync();

        var reply = await s.Client.SendAsync("one.example", port, "/");
        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-a", reply.Echoed.Backend);
        await Poll.UntilAsync(() => Task.FromResult(s.Gateway.LogsContain("FooBar")), l => l, Generous, "a log line naming the unknown kind FooBar");
        Assert.False(s.Gateway.HasExited);
    }

    [Fact]
    public async Task Invalid_regex_is_reported_as_UnsupportedValue_and_other_routes_keep_serving()
    {
        var (s, port) = await StartTwoRoutesAsync("bad-regex", extraFiles: ("bad-regex.yaml", BadRegexRoute("bad-regex-start", "badregex.example")));
        await using var load = BackgroundLoad.Start(s.Client, "two.example", port, "/");
        await load.WaitForAsync(20);

        // And once more at runtime.
        s.WriteFile("bad-regex-live.yaml", BadRegexRoute("bad-regex-live", "badregex2.example"));
        var (status, _) = await Poll.UntilAsync(
            () => s.Gateway.StatusAsync(),
            st => st.Find("HTTPRoute", "default", "bad-regex-live") is not null,
            Generous,
            "status lists the route added at runtime");

        foreach (var route in new[] { "bad-regex-start", "bad-regex-live" })
        {
            var conditions = status.RouteConditions("default", route);
            Assert.True(
                conditions.Any(c => c.Reason == "UnsupportedValue" && ((c.Type == "Accepted" && c.Status == "False") || (c.Type == "PartiallyInvalid" && c.Status == "True"))),
                $"{route}: expected Accepted=False or PartiallyInvalid=True with reason UnsupportedValue, got: {string.Join("; ", conditions)}");
        }

        // The valid rule of a partially invalid route, if the route is kept, must still work; the invalid one must not match anything.
        var invalid = await s.Client.SendAsync("badregex.example", port, "/(unclosed");
        Assert.NotEqual(200, invalid.Status);
        Assert.Equal(200, (await s.Client.SendAsync("one.example", port, "/")).Status);
        Assert.False(s.Gateway.HasExited);

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests to the unaffected route failed:\n{string.Join('\n', load.Failures)}");
    }

    [Fact]
    public async Task Missing_secret_is_reported_and_the_listener_comes_up_when_it_appears()
    {
        var s = NewScenario("missing-secret");
        var a = await s.StartEchoAsync("echo-a");
        var httpPort = s.FreePort();
        var httpsPort = s.FreePort();
        s.WriteFile("gateway.yaml", Documents(
            GatewayClass,
            Namespace("default"),
            Gateway(
                "default",
                "gw",
                s.GatewayAddress,
                Listener("http", httpPort),
                Listener("https", httpsPort, "HTTPS", "secure.example", certificateSecret: "late-cert")),
            a.ServiceYaml()));
        s.WriteFile("route.yaml", RouteTo("one", "secure.example", "echo-a"));
        await s.StartGatewayAsync();

        var status = await s.Gateway.StatusAsync();
        var resolved = status.ListenerCondition("default", "gw", "https", "ResolvedRefs");
        Assert.Equal("False", resolved?.Status);
        Assert.Equal("InvalidCertificateRef", resolved?.Reason);
        Assert.Equal(200, (await s.Client.SendAsync("secure.example", httpPort, "/")).Status);

        var cert = TestCertificates.Create("secure.example");
        s.WriteFile("secret.yaml", TlsSecret("default", "late-cert", cert.CertificatePem, cert.KeyPem));
        await Poll.UntilAsync(
            () => s.Gateway.StatusAsync(),
            st => st.ListenerCondition("default", "gw", "https", "ResolvedRefs")?.Status == "True",
            Generous,
            "listener https ResolvedRefs=True once the Secret exists");
        var (reply, _) = await Poll.UntilAsync(
            () => s.Client.SendAsync("secure.example", httpsPort, "/", https: true),
            r => r.Status == 200,
            Generous,
            "HTTPS serves once the Secret exists");
        Assert.Equal("echo-a", reply.Echoed.Backend);
        var served = await s.Client.ServerCertificateAsync("secure.example", httpsPort);
        Assert.Equal(cert.Thumbprint, served.Thumbprint);
    }

    [Fact]
    public async Task Deleting_a_file_removes_its_routes_and_nothing_else()
    {
        var (s, port) = await StartTwoRoutesAsync("deleted");
        await using var load = BackgroundLoad.Start(s.Client, "two.example", port, "/");
        await load.WaitForAsync(20);

        s.DeleteFile("route-one.yaml");

        await UntilAsync(s, "one.example", port, "/", r => r.Status == 404, Generous, "route-one gone after its file was deleted");
        var (status, _) = await Poll.UntilAsync(() => s.Gateway.StatusAsync(), st => st.Find("HTTPRoute", "default", "one") is null, Generous, "route-one gone from /status");
        Assert.NotNull(status.Find("HTTPRoute", "default", "two"));
        Assert.False(s.Gateway.HasExited);

        await load.StopAsync();
        Assert.True(load.Sent > 20);
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests to the unaffected route failed:\n{string.Join('\n', load.Failures)}");
    }

    [Fact]
    public async Task Deleting_the_service_a_route_uses_gives_500_and_BackendNotFound()
    {
        var (s, port) = await StartTwoRoutesAsync("deleted-service", routeOneBackend: "echo-b");
        Assert.Equal(200, (await s.Client.SendAsync("one.example", port, "/")).Status);

        s.DeleteFile("service-b.yaml");

        await UntilAsync(s, "one.example", port, "/", r => r.Status == 500, Generous, "route-one answers 500 once its Service is gone");
        var (status, _) = await Poll.UntilAsync(
            () => s.Gateway.StatusAsync(),
            st => st.RouteParentCondition("default", "one", "gw", "ResolvedRefs")?.Status == "False",
            Generous,
            "route-one ResolvedRefs=False");
        Assert.Equal("BackendNotFound", status.RouteParentCondition("default", "one", "gw", "ResolvedRefs")?.Reason);
        Assert.Equal(200, (await s.Client.SendAsync("two.example", port, "/")).Status);
    }

    [Fact]
    public async Task Emptying_the_directory_keeps_the_process_up_and_refilling_it_serves_again()
    {
        var (s, port) = await StartTwoRoutesAsync("emptied");
        var files = Directory.GetFiles(s.ConfigDir).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

        foreach (var name in files.Keys)
        {
            s.DeleteFile(name);
        }

        // With no Gateway left the listener closes (connection refused) or answers 404; either way no route serves.
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var fresh = new GatewayClient(s.GatewayAddress);
                    return (await fresh.SendAsync("one.example", port, "/")).Status;
                }
                catch (HttpRequestException)
                {
                    return -1;
                }
            },
            status => status is -1 or 404,
            Generous,
            "nothing served once every file is gone");
        await Task.Delay(300);
        Assert.False(s.Gateway.HasExited, "the gateway exited when its config directory became empty");

        foreach (var (name, content) in files)
        {
            s.WriteFile(name, content);
        }

        var (reply, _) = await Poll.UntilAsync(
            async () =>
            {
                using var fresh = new GatewayClient(s.GatewayAddress);
                return await fresh.SendAsync("one.example", port, "/");
            },
            r => r.Status == 200,
            Generous,
            "routes serve again once the files are back");
        Assert.Equal("echo-a", reply.Echoed.Backend);
    }

    [Fact]
    public async Task Listener_on_a_port_in_use_is_logged_and_the_other_listeners_keep_serving()
    {
        var (s, port) = await StartTwoRoutesAsync("port-in-use");
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(s.GatewayAddress), 0);
        squatter.Start();
        var taken = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var logStart = s.Gateway.LogLineCount;
        await using var load = BackgroundLoad.Start(s.Client, "two.example", port, "/");
        await load.WaitForAsync(20);

        s.WriteFile("gateway.yaml", s.ReadFile("gateway.yaml").Replace(
            Listener("http", port),
            Listener("http", port) + Listener("taken", taken),
            StringComparison.Ordinal));

        await Poll.UntilAsync(
            () => Task.FromResult(s.Gateway.LogsContain(taken.ToString(System.Globalization.CultureInfo.InvariantCulture), logStart)),
            logged => logged,
            Generous,
            $"a log line naming the port {taken} that could not be bound");
        await Task.Delay(300);
        Assert.False(s.Gateway.HasExited, "the gateway exited on a port it could not bind");
        Assert.Equal(200, (await s.Client.SendAsync("one.example", port, "/")).Status);

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests on the working listener failed:\n{string.Join('\n', load.Failures)}");
    }

    private async Task<(Scenario S, int Port)> StartTwoRoutesAsync(string name, string routeOneBackend = "echo-a", params (string File, string Yaml)[] extraFiles)
    {
        var s = NewScenario(name);
        var a = await s.StartEchoAsync("echo-a");
        var b = await s.StartEchoAsync("echo-b");
        var port = s.FreePort();
        s.WriteFile("gateway.yaml", Documents(
            GatewayClass,
            Namespace("default"),
            Gateway("default", "gw", s.GatewayAddress, Listener("http", port)),
            a.ServiceYaml()));
        s.WriteFile("service-b.yaml", b.ServiceYaml());
        s.WriteFile("route-one.yaml", RouteTo("one", "one.example", routeOneBackend));
        s.WriteFile("route-two.yaml", RouteTo("two", "two.example", "echo-a"));
        foreach (var (file, yaml) in extraFiles)
        {
            s.WriteFile(file, yaml);
        }

        await s.StartGatewayAsync();
        return (s, port);
    }

    private static string RouteTo(string name, string host, string backend) =>
        Route(name, hostnames: [host], rules: $"- backendRefs:\n  - {{name: {backend}, port: 8080}}");

    private static string BadRegexRoute(string name, string host) => Route(name, hostnames: [host], rules: """
        - matches:
          - path: {type: RegularExpression, value: "/(unclosed"}
          backendRefs:
          - {name: echo-a, port: 8080}
        - matches:
          - headers:
            - {type: RegularExpression, name: x-bad, value: "[z-a]"}
          backendRefs:
          - {name: echo-a, port: 8080}
        """);
}
