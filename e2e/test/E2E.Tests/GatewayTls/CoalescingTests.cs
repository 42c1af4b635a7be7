using System.Diagnostics;
using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>
/// GEP-3567 HTTP/2 connection coalescing through the real binary, with Node's http2 client reusing one TLS
/// connection for several hosts as browsers do: hosts of the listener the SNI chose are served on it; a host
/// of another listener (its certificate happens to cover it) gets 421 so the client opens its own connection,
/// which then is served; both overlapping listeners report OverlappingTLSConfig.
/// </summary>
public sealed class CoalescingTests(CoalescingTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<CoalescingTests.Fixture>(fixture, output)
{
    [Fact]
    public async Task Hosts_of_the_same_listener_share_one_connection()
    {
        var run = await RunAsync("a.coalesce.example", "a.coalesce.example,b.coalesce.example");

        Assert.Equal(1, (int)run["connections"]!);
        var results = run["results"]!.AsArray();
        Assert.All(results, r => Assert.Equal(200, (int)r!["status"]!));
        Assert.All(results, r => Assert.Contains("\"backend\":\"echo-wild\"", (string)r!["body"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_of_another_listener_on_a_reused_connection_gets_421_and_its_own_connection_is_served()
    {
        // The wildcard certificate covers secure.coalesce.example, so the client may reuse the connection.
        var reused = await RunAsync("a.coalesce.example", "a.coalesce.example,secure.coalesce.example,b.coalesce.example");

        Assert.Equal(1, (int)reused["connections"]!);
        var results = reused["results"]!.AsArray();
        Assert.Equal(200, (int)results[0]!["status"]!);
        Assert.Equal(421, (int)results[1]!["status"]!);
        Assert.Equal(200, (int)results[2]!["status"]!); // the connection stays usable for its own listener

        var own = await RunAsync("secure.coalesce.example", "secure.coalesce.example");
        var served = own["results"]!.AsArray().Single()!;
        Assert.Equal(200, (int)served["status"]!);
        Assert.Contains("\"backend\":\"echo-secure\"", (string)served["body"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_overlapping_listeners_report_OverlappingTLSConfig()
    {
        var status = await S.Gateway.StatusAsync();

        foreach (var listener in new[] { "wild", "secure" })
        {
            var overlap = status.ListenerCondition("default", "gw", listener, "OverlappingTLSConfig");
            Assert.True(overlap is not null, $"no OverlappingTLSConfig on {listener}: {status}");
            Assert.Equal("True", overlap.Status);
            Assert.Equal("OverlappingHostnames", overlap.Reason);
            Assert.Equal("True", status.ListenerCondition("default", "gw", listener, "Programmed")?.Status);
        }

        Assert.Null(status.ListenerCondition("default", "gw", "apart", "OverlappingTLSConfig"));
    }

    private async Task<JsonNode> RunAsync(string sni, string hosts)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            Path.Combine(RepoLayout.RepoRoot, "e2e", "peers", "h2-coalesce.js"),
            "--address", S.GatewayAddress, "--port", Shared.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--sni", sni, "--hosts", hosts, "--path", "/coalesce",
        })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("h2-coalesce.js did not finish within 20 s");
        }

        var text = await stdout;
        Assert.True(process.ExitCode == 0, $"h2-coalesce.js exit {process.ExitCode}: {text}\n{await stderr}");
        return JsonNode.Parse(text.Trim().Split('\n')[^1])!;
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "coalescing";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var wild = await s.StartEchoAsync("echo-wild");
            var secure = await s.StartEchoAsync("echo-secure");
            Port = s.FreePort();
            var wildCert = TestCertificates.Create("coalesce.example", "*.coalesce.example");
            var secureCert = TestCertificates.Create("secure.coalesce.example");
            var apartCert = TestCertificates.Create("apart.example");

            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway(
                    "default",
                    "gw",
                    s.GatewayAddress,
                    Listener("wild", Port, "HTTPS", "*.coalesce.example", certificateSecret: "wild"),
                    Listener("secure", Port, "HTTPS", "secure.coalesce.example", certificateSecret: "secure"),
                    Listener("apart", Port, "HTTPS", "apart.example", certificateSecret: "apart")),
                TlsSecret("default", "wild", wildCert.CertificatePem, wildCert.KeyPem),
                TlsSecret("default", "secure", secureCert.CertificatePem, secureCert.KeyPem),
                TlsSecret("default", "apart", apartCert.CertificatePem, apartCert.KeyPem),
                wild.ServiceYaml(),
                secure.ServiceYaml(),
                Route("to-wild", parentRefs: "- name: gw\n  sectionName: wild", rules: """
                    - backendRefs:
                      - {name: echo-wild, port: 8080}
                    """),
                Route("to-secure", parentRefs: "- name: gw\n  sectionName: secure", rules: """
                    - backendRefs:
                      - {name: echo-secure, port: 8080}
                    """)));
        }
    }
}
