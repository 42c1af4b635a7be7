using System.Net;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Listeners;

/// <summary>
/// HTTPS listeners through the real binary: several listeners on one port with distinct hostnames, SNI
/// picks each one's certificate, HTTP/1.1 and HTTP/2 (ALPN) clients, and a listener whose Secret is
/// missing is reported without disturbing the others.
/// </summary>
public sealed class HttpsTests(HttpsTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<HttpsTests.Fixture>(fixture, output)
{
    private Fixture F => Shared;

    [Theory]
    [InlineData("a.tls.example", "a")]
    [InlineData("b.tls.example", "b")]
    [InlineData("x.wild.tls.example", "wild")]
    public async Task Sni_selects_the_listener_certificate(string sni, string which)
    {
        var served = await Client.ServerCertificateAsync(sni, F.Port);

        Assert.Equal(F.Thumbprints[which], served.Thumbprint);
    }

    [Theory]
    [InlineData("a.tls.example", "echo-a")]
    [InlineData("b.tls.example", "echo-b")]
    public async Task Https_requests_route_by_listener(string host, string backend)
    {
        var reply = await Client.SendAsync(host, F.Port, "/secure", https: true);

        Assert.Equal(200, reply.Status);
        Assert.Equal(backend, reply.Echoed.Backend);
        Assert.Equal("https", reply.Echoed.Header("x-forwarded-proto"));
    }

    [Fact]
    public async Task Http2_over_tls_is_negotiated_with_alpn()
    {
        var reply = await Client.SendAsync("a.tls.example", F.Port, "/h2", https: true, version: HttpVersion.Version20);

        Assert.Equal(200, reply.Status);
        Assert.Equal(HttpVersion.Version20, reply.Version);
        Assert.Equal("echo-a", reply.Echoed.Backend);
    }

    [Fact]
    public async Task Curl_with_sni_gets_a_routed_answer_over_http2()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, "b.tls.example", F.Port, "/curl", https: true, "-k", "--http2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
        Assert.Equal("2", result.HttpVersion);
        Assert.Contains("\"backend\":\"echo-b\"", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_of_another_listener_than_the_sni_gets_421()
    {
        // TLS session for a.tls.example (SNI), request for b.tls.example (Host): misdirected.
        var result = await Curl.RunAsync(S.GatewayAddress, "a.tls.example", F.Port, "/", https: true, "-k", "--http1.1", "-H", $"Host: b.tls.example:{F.Port}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(421, result.Status);
    }

    [Fact]
    public async Task Listener_with_a_missing_secret_reports_InvalidCertificateRef()
    {
        var status = await S.Gateway.StatusAsync();

        var resolved = status.ListenerCondition("default", "gw", "missing", "ResolvedRefs");
        Assert.True(resolved is not null, "no ResolvedRefs for listener 'missing': " + status);
        Assert.Equal("False", resolved.Status);
        Assert.Equal("InvalidCertificateRef", resolved.Reason);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "a", "ResolvedRefs")?.Status);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "a", "Programmed")?.Status);
    }

    [Fact]
    public async Task Certificate_in_another_namespace_needs_a_ReferenceGrant()
    {
        var status = await S.Gateway.StatusAsync();

        var denied = status.ListenerCondition("default", "gw", "xns-denied", "ResolvedRefs");
        Assert.Equal("False", denied?.Status);
        Assert.Equal("RefNotPermitted", denied?.Reason);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "xns-granted", "ResolvedRefs")?.Status);
        var served = await Client.ServerCertificateAsync("granted.tls.example", F.Port);
        Assert.Equal(F.Thumbprints["granted"], served.Thumbprint);
    }

    [Fact]
    public async Task Plain_http_listener_of_the_same_gateway_keeps_working()
    {
        var reply = await Client.SendAsync("a.tls.example", F.HttpPort, "/plain");

        Assert.Equal(200, reply.Status);
        Assert.Equal("http", reply.Echoed.Header("x-forwarded-proto"));
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        public int HttpPort { get; private set; }

        public Dictionary<string, string> Thumbprints { get; } = [];

        protected override string Name => "https";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var a = await s.StartEchoAsync("echo-a");
            var b = await s.StartEchoAsync("echo-b");
            Port = s.FreePort();
            HttpPort = s.FreePort();
            var certA = TestCertificates.Create("a.tls.example");
            var certB = TestCertificates.Create("b.tls.example");
            var certWild = TestCertificates.Create("wild.tls.example", "*.wild.tls.example");
            Thumbprints["a"] = certA.Thumbprint;
            Thumbprints["b"] = certB.Thumbprint;
            Thumbprints["wild"] = certWild.Thumbprint;
            var certDenied = TestCertificates.Create("denied.tls.example");
            var certGranted = TestCertificates.Create("granted.tls.example");
            Thumbprints["granted"] = certGranted.Thumbprint;

            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                Gateway(
                    "default",
                    "gw",
                    s.GatewayAddress,
                    Listener("a", Port, "HTTPS", "a.tls.example", certificateSecret: "cert-a"),
                    Listener("b", Port, "HTTPS", "b.tls.example", certificateSecret: "cert-b"),
                    Listener("wild", Port, "HTTPS", "*.wild.tls.example", certificateSecret: "cert-wild"),
                    Listener("missing", Port, "HTTPS", "missing.tls.example", certificateSecret: "no-such-secret"),
                    Listener("plain", HttpPort),
                    Listener("xns-denied", Port, "HTTPS", "denied.tls.example", certificateSecret: "denied", certificateNamespace: "certs"),
                    Listener("xns-granted", Port, "HTTPS", "granted.tls.example", certificateSecret: "granted", certificateNamespace: "certs-granted")),
                Namespace("certs"),
                Namespace("certs-granted"),
                TlsSecret("certs", "denied", certDenied.CertificatePem, certDenied.KeyPem),
                TlsSecret("certs-granted", "granted", certGranted.CertificatePem, certGranted.KeyPem),
                """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata:
                  name: gateways-may-use-certs
                  namespace: certs-granted
                spec:
                  from:
                  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: default}
                  to:
                  - {group: "", kind: Secret}
                """,
                TlsSecret("default", "cert-a", certA.CertificatePem, certA.KeyPem),
                TlsSecret("default", "cert-b", certB.CertificatePem, certB.KeyPem),
                TlsSecret("default", "cert-wild", certWild.CertificatePem, certWild.KeyPem),
                a.ServiceYaml(),
                b.ServiceYaml()));

            s.WriteFile("routes.yaml", Documents(
                Route("to-a", hostnames: ["a.tls.example", "x.wild.tls.example"], rules: """
                    - backendRefs:
                      - {name: echo-a, port: 8080}
                    """),
                Route("to-b", hostnames: ["b.tls.example"], rules: """
                    - backendRefs:
                      - {name: echo-b, port: 8080}
                    """)));
        }
    }
}
