using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>
/// GEP-91 frontend client certificate validation through the real binary, with curl and openssl s_client
/// as clients: on the strict port (the Gateway's default, AllowValidOnly) a certificate from the configured
/// CA is served and a client without one, or with one from another CA, is refused at the handshake; the
/// perPort override in AllowInsecureFallback serves everyone and the Gateway says so; a port whose CA
/// cannot be resolved is not served at all; the plain HTTP listener is not affected.
/// </summary>
public sealed class FrontendValidationTests(FrontendValidationTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<FrontendValidationTests.Fixture>(fixture, output)
{
    private const string Host = "a.certs.example";

    private Fixture F => Shared;

    [Fact]
    public async Task A_client_certificate_from_the_configured_CA_is_served()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.StrictPort, "/mtls", https: true, "-k", "--cert", F.Good.Cert, "--key", F.Good.Key);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
        Assert.Contains("\"backend\":\"echo\"", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_at_the_handshake()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.StrictPort, "/mtls", https: true, "-k");

        Assert.True(result.ExitCode != 0, "expected a refused handshake: " + result);
        Assert.Equal(0, result.Status);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_at_the_handshake()
    {
        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.StrictPort, "/mtls", https: true, "-k", "--cert", F.WrongCa.Cert, "--key", F.WrongCa.Key);

        Assert.True(result.ExitCode != 0, "expected a refused handshake: " + result);
        Assert.Equal(0, result.Status);
    }

    [Fact]
    public async Task A_certificate_from_the_CA_but_for_servers_only_is_refused()
    {
        // EKU serverAuth only: the CA signed it, but not for client authentication.
        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.StrictPort, "/mtls", https: true, "-k", "--cert", F.ServerOnly.Cert, "--key", F.ServerOnly.Key);

        Assert.True(result.ExitCode != 0, "expected a refused handshake: " + result);
    }

    [Fact]
    public async Task Openssl_s_client_with_the_certificate_gets_an_answer_and_without_it_a_handshake_failure()
    {
        var good = await OpenSslClient.RequestAsync(S.GatewayAddress, F.StrictPort, Host, Host, F.Good);
        Assert.True(good.Output.Contains("HTTP/1.1 200", StringComparison.Ordinal), good.ToString());

        // TLS 1.2 makes the refusal part of the handshake itself (in 1.3 it arrives after the client's Finished).
        var refused = await OpenSslClient.RequestAsync(S.GatewayAddress, F.StrictPort, Host, Host, client: null, "-tls1_2");
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.DoesNotContain("HTTP/1.1 200", refused.Output, StringComparison.Ordinal);
        Assert.True(refused.Output.Contains("Client Certificate Types", StringComparison.Ordinal), "the server did not ask for a certificate: " + refused);

        var refused13 = await OpenSslClient.RequestAsync(S.GatewayAddress, F.StrictPort, Host, Host, client: null, "-tls1_3");
        Assert.DoesNotContain("HTTP/1.1 200", refused13.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("wrong-ca")]
    [InlineData("good")]
    public async Task The_insecure_fallback_port_serves_every_client(string which)
    {
        var extra = new List<string> { "-k" };
        var pair = which switch { "good" => F.Good, "wrong-ca" => F.WrongCa, _ => ((string, string)?)null };
        if (pair is { } p)
        {
            extra.AddRange(["--cert", p.Item1, "--key", p.Item2]);
        }

        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.FallbackPort, "/fallback", https: true, [.. extra]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(200, result.Status);
    }

    [Fact]
    public async Task The_gateway_reports_the_insecure_fallback_mode()
    {
        var status = await S.Gateway.StatusAsync();

        var insecure = status.GatewayCondition("default", "gw", "InsecureFrontendValidationMode");
        Assert.True(insecure is not null, "no InsecureFrontendValidationMode condition: " + status);
        Assert.Equal("True", insecure.Status);
        Assert.Equal("ConfigurationChanged", insecure.Reason);
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("GatewayFrontendClientCertificateValidation", features);
        Assert.Contains("GatewayFrontendClientCertificateValidationInsecureFallback", features);
    }

    [Fact]
    public async Task A_port_whose_CA_cannot_be_resolved_is_not_served_and_says_why()
    {
        var status = await S.Gateway.StatusAsync();
        var accepted = status.ListenerCondition("default", "gw", "broken", "Accepted");
        var resolved = status.ListenerCondition("default", "gw", "broken", "ResolvedRefs");
        Assert.Equal("False", accepted?.Status);
        Assert.Equal("NoValidCACertificate", accepted?.Reason);
        Assert.Equal("False", resolved?.Status);
        Assert.Equal("InvalidCACertificateRef", resolved?.Reason);
        Assert.Equal("True", status.ListenerCondition("default", "gw", "strict", "Programmed")?.Status);

        // Nothing listens there: a client, certificate or not, never reaches a route.
        var result = await Curl.RunAsync(S.GatewayAddress, Host, F.BrokenPort, "/broken", https: true, "-k", "--cert", F.Good.Cert, "--key", F.Good.Key);
        Assert.True(result.ExitCode != 0, result.ToString());
    }

    [Fact]
    public async Task The_plain_http_listener_is_not_affected()
    {
        var reply = await Client.SendAsync(Host, F.HttpPort, "/plain");

        Assert.Equal(200, reply.Status);
        Assert.Equal("echo", reply.Echoed.Backend);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int StrictPort { get; private set; }

        public int FallbackPort { get; private set; }

        public int BrokenPort { get; private set; }

        public int HttpPort { get; private set; }

        public (string Cert, string Key) Good { get; private set; }

        public (string Cert, string Key) WrongCa { get; private set; }

        public (string Cert, string Key) ServerOnly { get; private set; }

        protected override string Name => "clientcerts";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var echo = await s.StartEchoAsync("echo");
            StrictPort = s.FreePort();
            FallbackPort = s.FreePort();
            BrokenPort = s.FreePort();
            HttpPort = s.FreePort();
            var ca = ClientCertificateAuthority.Create("meshway-e2e-client-ca");
            var other = ClientCertificateAuthority.Create("unrelated-client-ca");
            var dir = Path.Combine(s.ConfigDir, "client-certs");
            Good = ca.IssueClient("good-client", dir);
            WrongCa = other.IssueClient("wrong-ca-client", dir);
            ServerOnly = ca.IssueClient("server-only", dir, usageOid: "1.3.6.1.5.5.7.3.1");
            var server = TestCertificates.Create(Host);

            var gateway = Gateway(
                "default",
                "gw",
                s.GatewayAddress,
                Listener("strict", StrictPort, "HTTPS", Host, certificateSecret: "server"),
                Listener("fallback", FallbackPort, "HTTPS", Host, certificateSecret: "server"),
                Listener("broken", BrokenPort, "HTTPS", Host, certificateSecret: "server"),
                Listener("plain", HttpPort, hostname: Host));
            gateway = gateway.Replace("  gatewayClassName: meshway\n", $$"""
                  gatewayClassName: meshway
                  tls:
                    frontend:
                      default:
                        validation:
                          caCertificateRefs:
                          - {group: "", kind: ConfigMap, name: client-ca}
                      perPort:
                      - port: {{FallbackPort}}
                        tls:
                          validation:
                            mode: AllowInsecureFallback
                            caCertificateRefs:
                            - {group: "", kind: ConfigMap, name: client-ca}
                      - port: {{BrokenPort}}
                        tls:
                          validation:
                            caCertificateRefs:
                            - {group: "", kind: ConfigMap, name: no-such-configmap}

                """, StringComparison.Ordinal);

            s.WriteFile("gateway.yaml", Documents(
                GatewayClass,
                Namespace("default"),
                gateway,
                ca.ConfigMapYaml("default", "client-ca"),
                TlsSecret("default", "server", server.CertificatePem, server.KeyPem),
                echo.ServiceYaml(),
                Route("to-echo", hostnames: [Host], rules: """
                    - backendRefs:
                      - {name: echo, port: 8080}
                    """)));
        }
    }
}
