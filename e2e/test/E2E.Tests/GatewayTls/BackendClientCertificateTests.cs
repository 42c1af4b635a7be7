using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.GatewayTls;

/// <summary>
/// Gateway spec.tls.backend.clientCertificateRef (GatewayBackendClientCertificate) through the real binary: a
/// Node HTTPS backend that demands a client certificate from its CA (requestCert + rejectUnauthorized) sees
/// the Gateway's certificate on BackendTLSPolicy connections and answers; the same route through a Gateway
/// without one, or whose reference cannot be resolved, is refused by the backend (502), and the Gateway's
/// ResolvedRefs condition says why.
/// </summary>
public sealed class BackendClientCertificateTests(BackendClientCertificateTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<BackendClientCertificateTests.Fixture>(fixture, output)
{
    private const string Host = "mtls.example";

    [Fact]
    public async Task The_backend_sees_the_gateway_client_certificate()
    {
        var reply = await Client.SendAsync(Host, Shared.Ports["gw"], "/with-cert");

        Assert.Equal(200, reply.Status);
        var json = JsonNode.Parse(reply.Body)!;
        Assert.Equal("meshway-gateway", (string?)json["clientSubject"]);
        Assert.Equal("backend-client-ca", (string?)json["clientIssuer"]);
        Assert.True((bool?)json["authorized"]);
        Assert.Equal("backend.internal", (string?)json["sni"]);
    }

    [Fact]
    public async Task Http2_clients_reach_the_backend_with_the_certificate_too()
    {
        var reply = await Client.SendAsync(Host, Shared.Ports["gw"], "/again", version: System.Net.HttpVersion.Version20);

        Assert.Equal(200, reply.Status);
        Assert.Equal("meshway-gateway", (string?)JsonNode.Parse(reply.Body)!["clientSubject"]);
    }

    [Theory]
    [InlineData("gw-none")]
    [InlineData("gw-missing")]
    [InlineData("gw-denied")]
    public async Task Without_a_usable_certificate_the_backend_refuses_and_the_client_gets_502(string gateway)
    {
        var logFrom = S.Gateway.LogLineCount;

        var reply = await Client.SendAsync(Host, Shared.Ports[gateway], "/no-cert");

        Assert.Equal(502, reply.Status);
        // The refusal is the backend's own TLS alert (certificate_required), as the gateway logged it.
        await Poll.UntilAsync(() => Task.FromResult(S.Gateway.LogsContain("certificate required", logFrom)), found => found,
            TimeSpan.FromSeconds(5), "the gateway logs the backend's certificate_required alert");
    }

    [Theory]
    [InlineData("gw", "True", "ResolvedRefs")]
    [InlineData("gw-missing", "False", "InvalidClientCertificateRef")]
    [InlineData("gw-denied", "False", "RefNotPermitted")]
    public async Task The_gateway_ResolvedRefs_condition_reports_the_reference(string gateway, string expected, string reason)
    {
        var status = await S.Gateway.StatusAsync();

        var resolved = status.GatewayCondition("default", gateway, "ResolvedRefs");
        Assert.True(resolved is not null, "no ResolvedRefs on " + gateway + ": " + status);
        Assert.Equal(expected, resolved.Status);
        Assert.Equal(reason, resolved.Reason);
        Assert.Equal("True", status.GatewayCondition("default", gateway, "Accepted")?.Status);
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("GatewayBackendClientCertificate", features);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public Dictionary<string, int> Ports { get; } = [];

        internal MtlsEchoBackend Backend { get; private set; } = null!;

        protected override string Name => "backendclientcert";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var serverCa = TestCa.Create("backend-server-ca");
            var clientCa = ClientCertificateAuthority.Create("backend-client-ca");
            var dir = Path.Combine(s.ConfigDir, "mtls-certs");
            var gatewayCert = clientCa.IssueClient("meshway-gateway", dir);
            var certPem = await File.ReadAllTextAsync(gatewayCert.CertificateFile);
            var keyPem = await File.ReadAllTextAsync(gatewayCert.KeyFile);
            Backend = s.Own(await MtlsEchoBackend.StartAsync("secure", s.NextAddress(), serverCa.Issue(["backend.internal"]), clientCa.CertificatePem, dir));

            var documents = new List<string> { GatewayClass, Namespace("default"), Namespace("certs") };
            foreach (var (name, reference) in new[]
            {
                ("gw", "{kind: Secret, group: \"\", name: gateway-client}"),
                ("gw-none", null),
                ("gw-missing", "{kind: Secret, group: \"\", name: no-such-secret}"),
                ("gw-denied", "{kind: Secret, group: \"\", name: gateway-client, namespace: certs}"),
            })
            {
                Ports[name] = s.FreePort();
                var gateway = Gateway("default", name, s.GatewayAddress, Listener("http", Ports[name]));
                if (reference is not null)
                {
                    gateway = gateway.Replace("  gatewayClassName: meshway\n", $$"""
                          gatewayClassName: meshway
                          tls:
                            backend:
                              clientCertificateRef: {{reference}}

                        """, StringComparison.Ordinal);
                }

                documents.Add(gateway);
            }

            documents.Add(TlsSecret("default", "gateway-client", certPem, keyPem));
            documents.Add(TlsSecret("certs", "gateway-client", certPem, keyPem));
            documents.Add(Backend.ServiceYaml("secure"));
            documents.Add($$"""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: backend-ca
                  namespace: default
                data:
                  ca.crt: |
                {{string.Concat(serverCa.CertificatePem.Trim().Split('\n').Select(l => "    " + l.TrimEnd('\r') + "\n"))}}
                """);
            documents.Add("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: BackendTLSPolicy
                metadata:
                  name: secure
                  namespace: default
                spec:
                  targetRefs:
                  - {group: "", kind: Service, name: secure}
                  validation:
                    hostname: backend.internal
                    caCertificateRefs:
                    - {group: "", kind: ConfigMap, name: backend-ca}
                """);
            documents.Add(Route(
                "to-secure",
                hostnames: [Host],
                parentRefs: "- name: gw\n- name: gw-none\n- name: gw-missing\n- name: gw-denied",
                rules: """
                    - backendRefs:
                      - {name: secure, port: 443}
                    """));
            s.WriteFile("gateway.yaml", Documents([.. documents]));
        }
    }
}
