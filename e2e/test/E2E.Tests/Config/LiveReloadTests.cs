using System.Diagnostics;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Config;

/// <summary>
/// Live reload: editing or adding a file changes routing without a restart, without failing a single
/// request on unaffected routes and without dropping requests in flight. The 100 ms target is the
/// benchmark's job; here the bound is generous (2 s) so CI stays stable.
/// </summary>
public sealed class LiveReloadTests(ITestOutputHelper output) : StandaloneScenarios(output)
{
    private static readonly TimeSpan ReloadBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Edited_route_serves_within_bound_and_unaffected_routes_see_no_failure()
    {
        var (s, port) = await StartAsync("edit");
        await using var load = BackgroundLoad.Start(s.Client, "stable.example", port, "/");
        using var freshClient = new GatewayClient(s.GatewayAddress);
        await using var freshLoad = BackgroundLoad.Start(freshClient, "stable.example", port, "/", newConnections: true);
        await load.WaitForAsync(50);
        await freshLoad.WaitForAsync(20);

        s.WriteFile("route-edit.yaml", EditRoute("/v2", "echo-b", generation: 2));
        var (reply, elapsed) = await UntilAsync(s, "edit.example", port, "/v2", r => r.Echo?.Backend == "echo-b", TimeSpan.FromSeconds(10), "edited route serves /v2 from echo-b");

        Output.WriteLine($"new route served after {elapsed.TotalMilliseconds:0} ms");
        Assert.True(elapsed < ReloadBound, $"edited route took {elapsed.TotalMilliseconds:0} ms to serve (bound {ReloadBound.TotalMilliseconds} ms)");
        Assert.Equal("/v2", reply.Echoed.Path);
        Assert.Equal(404, (await s.Client.SendAsync("edit.example", port, "/v1")).Status);

        await Task.Delay(200);
        await load.StopAsync();
        Assert.True(load.Sent > 50, $"background loop only sent {load.Sent}");
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests to the unaffected route failed:\n{string.Join('\n', load.Failures)}");
        await freshLoad.StopAsync();
        Assert.True(freshLoad.Failures.Count == 0, $"{freshLoad.Failures.Count} of {freshLoad.Sent} new-connection requests to the unaffected route failed:\n{string.Join('\n', freshLoad.Failures)}");
    }

    [Fact]
    public async Task New_file_is_picked_up_and_status_follows_the_generation()
    {
        var (s, port) = await StartAsync("new-file");
        Assert.Equal(404, (await s.Client.SendAsync("new.example", port, "/")).Status);

        s.WriteFile("route-new.yaml", Route("new", hostnames: ["new.example"], rules: "- backendRefs:\n  - {name: echo-b, port: 8080}"));
        var (_, elapsed) = await UntilAsync(s, "new.example", port, "/", r => r.Echo?.Backend == "echo-b", TimeSpan.FromSeconds(10), "route from the new file serves");
        Assert.True(elapsed < ReloadBound, $"new file took {elapsed.TotalMilliseconds:0} ms to serve");

        s.WriteFile("route-edit.yaml", EditRoute("/v1", "echo-a", generation: 5));
        var (status, _) = await Poll.UntilAsync(
            () => s.Gateway.StatusAsync(),
            st => st.RouteParentCondition("default", "edit", "gw", "Accepted")?.ObservedGeneration == 5,
            TimeSpan.FromSeconds(5),
            "route edit reports observedGeneration 5");
        Assert.Equal("True", status.RouteParentCondition("default", "edit", "gw", "Accepted")?.Status);
        Assert.NotNull(status.Find("HTTPRoute", "default", "new"));
    }

    [Fact]
    public async Task Request_in_flight_during_a_reload_completes()
    {
        var (s, port) = await StartAsync("in-flight");
        var clock = Stopwatch.StartNew();
        var slow = s.Client.SendAsync("edit.example", port, "/v1/slow", headers: [("x-echo-delay-ms", "1500")]);
        await Task.Delay(300);

        s.WriteFile("route-edit.yaml", EditRoute("/v2", "echo-b", generation: 2));
        await UntilAsync(s, "edit.example", port, "/v2", r => r.Status == 200, TimeSpan.FromSeconds(10), "edited route serves");

        var reply = await slow;
        Assert.Equal(200, reply.Status);
        Assert.Equal("echo-a", reply.Echoed.Backend);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1400), "the slow request really was in flight across the reload");
    }

    /// <summary>
    /// Churn (acceptance of issues 2 and 3): a route alternates its backend and a response header every
    /// 200 ms for 20 cycles while a client sends back to back. No request may fail, and since a request
    /// reads one snapshot, each answer's header and backend must come from the same version.
    /// </summary>
    [Fact]
    public async Task Churning_route_never_fails_and_every_answer_is_from_one_consistent_version()
    {
        var (s, port) = await StartAsync("churn");
        s.WriteFile("route-churn.yaml", ChurnRoute(0));
        await UntilAsync(s, "churn.example", port, "/", r => r.Header("x-churn") == "0", TimeSpan.FromSeconds(10), "churn route version 0 serves");

        await using var load = BackgroundLoad.Start(s.Client, "churn.example", port, "/", keepReplies: true);
        await load.WaitForAsync(20);
        for (var cycle = 1; cycle <= 20; cycle++)
        {
            await Task.Delay(200);
            s.WriteFile("route-churn.yaml", ChurnRoute(cycle));
        }

        await UntilAsync(s, "churn.example", port, "/", r => r.Header("x-churn") == "20", TimeSpan.FromSeconds(5), "last churn version serves");
        await load.StopAsync();

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} churn requests failed:\n{string.Join('\n', load.Failures)}");
        var versions = new HashSet<string>();
        var backends = new HashSet<string>();
        foreach (var reply in load.Replies)
        {
            var version = reply.Header("x-churn");
            Assert.NotNull(version);
            var expectedBackend = int.Parse(version, System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? "echo-a" : "echo-b";
            Assert.True(expectedBackend == reply.Echoed.Backend, $"version {version} answered by {reply.Echoed.Backend}: header and backend from different snapshots");
            versions.Add(version);
            backends.Add(reply.Echoed.Backend);
        }

        Output.WriteLine($"{load.Sent} requests, {versions.Count} versions seen");
        Assert.Equal(2, backends.Count);
        Assert.True(versions.Count >= 5, $"only {versions.Count} versions were observed; reloads are not being applied while under load");
    }

    [Fact]
    public async Task Adding_a_listener_opens_its_port_and_removing_it_closes_it()
    {
        var (s, port) = await StartAsync("listener-add");
        var extra = s.FreePort();
        await using var load = BackgroundLoad.Start(s.Client, "stable.example", port, "/");
        using var freshClient = new GatewayClient(s.GatewayAddress);
        await using var freshLoad = BackgroundLoad.Start(freshClient, "stable.example", port, "/", newConnections: true);
        await load.WaitForAsync(20);
        await freshLoad.WaitForAsync(20);

        s.WriteFile("gateway.yaml", GatewayFile(s, Listener("http", port), Listener("extra", extra)));
        var (reply, elapsed) = await UntilAsync(s, "stable.example", extra, "/", r => r.Status == 200, TimeSpan.FromSeconds(10), "the added listener serves");
        Assert.Equal("echo-a", reply.Echoed.Backend);
        Assert.True(elapsed < ReloadBound, $"new listener took {elapsed.TotalMilliseconds:0} ms");

        s.WriteFile("gateway.yaml", GatewayFile(s, Listener("http", port)));
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var fresh = new GatewayClient(s.GatewayAddress);
                    return (await fresh.SendAsync("stable.example", extra, "/")).Status;
                }
                catch (HttpRequestException)
                {
                    return -1;
                }
            },
            status => status == -1,
            TimeSpan.FromSeconds(10),
            "the removed listener's port refuses connections");

        await load.StopAsync();
        await freshLoad.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests on the untouched listener failed:\n{string.Join('\n', load.Failures)}");
        Assert.True(freshLoad.Failures.Count == 0, $"{freshLoad.Failures.Count} of {freshLoad.Sent} new connections to the untouched listener failed:\n{string.Join('\n', freshLoad.Failures)}");
    }

    [Fact]
    public async Task Rotating_a_tls_secret_serves_the_new_certificate()
    {
        var s = NewScenario("rotate");
        var a = await s.StartEchoAsync("echo-a");
        var port = s.FreePort();
        var first = TestCertificates.Create("rotate.example");
        var second = TestCertificates.Create("rotate.example");
        s.WriteFile("gateway.yaml", Documents(
            GatewayClass,
            Namespace("default"),
            Gateway("default", "gw", s.GatewayAddress, Listener("https", port, "HTTPS", "rotate.example", certificateSecret: "rotating")),
            a.ServiceYaml(),
            Route("r", hostnames: ["rotate.example"], rules: "- backendRefs:\n  - {name: echo-a, port: 8080}")));
        s.WriteFile("secret.yaml", TlsSecret("default", "rotating", first.CertificatePem, first.KeyPem));
        await s.StartGatewayAsync();
        Assert.Equal(first.Thumbprint, (await s.Client.ServerCertificateAsync("rotate.example", port)).Thumbprint);

        s.WriteFile("secret.yaml", TlsSecret("default", "rotating", second.CertificatePem, second.KeyPem));

        await Poll.UntilAsync(
            async () => (await s.Client.ServerCertificateAsync("rotate.example", port)).Thumbprint,
            thumbprint => thumbprint == second.Thumbprint,
            TimeSpan.FromSeconds(5),
            "new handshakes get the rotated certificate");
        var reply = await s.Client.SendAsync("rotate.example", port, "/", https: true);
        Assert.Equal(200, reply.Status);
    }

    [Fact]
    public async Task Config_reloads_are_counted_in_metrics()
    {
        var (s, port) = await StartAsync("reload-metric");
        var before = ReloadCount(await s.Gateway.MetricsAsync());

        s.WriteFile("route-edit.yaml", EditRoute("/v2", "echo-b", generation: 2));
        await UntilAsync(s, "edit.example", port, "/v2", r => r.Status == 200, TimeSpan.FromSeconds(10), "edited route serves");

        var after = ReloadCount(await s.Gateway.MetricsAsync());
        Assert.True(after > before, $"reload counter did not grow: {before} -> {after}");
    }

    /// <summary>The value of the (non-failure) config reload counter in Prometheus text.</summary>
    private static double ReloadCount(string metrics)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith('#') && line.Contains("reload", StringComparison.Ordinal) && !line.Contains("fail", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException("no config reload counter in /metrics:\n" + metrics);
    }

    private static string GatewayFile(Scenario s, params string[] listeners) => Gateway("default", "gw", s.GatewayAddress, listeners);

    private async Task<(Scenario S, int Port)> StartAsync(string name)
    {
        var s = NewScenario(name);
        var a = await s.StartEchoAsync("echo-a");
        var b = await s.StartEchoAsync("echo-b");
        var port = s.FreePort();
        // The Gateway has a file of its own so tests can edit its listeners.
        s.WriteFile("base.yaml", Documents(GatewayClass, Namespace("default"), a.ServiceYaml(), b.ServiceYaml()));
        s.WriteFile("gateway.yaml", GatewayFile(s, Listener("http", port)));
        s.WriteFile("route-stable.yaml", Route("stable", hostnames: ["stable.example"], rules: "- backendRefs:\n  - {name: echo-a, port: 8080}"));
        s.WriteFile("route-edit.yaml", EditRoute("/v1", "echo-a", generation: 1));
        await s.StartGatewayAsync();
        Assert.Equal(200, (await s.Client.SendAsync("stable.example", port, "/")).Status);
        return (s, port);
    }

    private static string EditRoute(string prefix, string backend, long generation) =>
        Route("edit", generation: generation, hostnames: ["edit.example"], rules: $$"""
            - matches:
              - path: {type: PathPrefix, value: {{prefix}}}
              backendRefs:
              - {name: {{backend}}, port: 8080}
            """);

    private static string ChurnRoute(int version) =>
        Route("churn", generation: version + 1, hostnames: ["churn.example"], rules: $$"""
            - filters:
              - type: ResponseHeaderModifier
                responseHeaderModifier:
                  set:
                  - {name: x-churn, value: "{{version}}"}
              backendRefs:
              - {name: {{(version % 2 == 0 ? "echo-a" : "echo-b")}}, port: 8080}
            """);
}
