using System.Text.Json.Nodes;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;
using static Meshway.E2E.Tests.Harness.Manifests;

namespace Meshway.E2E.Tests.Protocols;

/// <summary>
/// BackendTLSPolicy through the real binary against Node HTTPS backends whose certificates come from a test
/// CA: the gateway sends the policy's hostname as SNI, verifies the chain against the CA from the ConfigMap,
/// checks the hostname or the listed subjectAltNames (Hostname and URI), refuses a backend that fails any of
/// these (502), and fails closed (500) when the policy's CA reference cannot be resolved.
/// </summary>
public sealed class BackendTlsPolicyTests(BackendTlsPolicyTests.Fixture fixture, ITestOutputHelper output)
    : ScenarioTests<BackendTlsPolicyTests.Fixture>(fixture, output)
{
    [Fact]
    public async Task Traffic_is_TLS_with_the_policy_hostname_as_SNI_and_the_chain_verified()
    {
        var reply = await Client.SendAsync("good.example", Shared.Port, "/hello");

        Assert.Equal(200, reply.Status);
        var json = JsonNode.Parse(reply.Body)!;
        Assert.Equal("tls-good", (string?)json["tlsBackend"]);
        Assert.Equal("backend.internal", (string?)json["sni"]);
        Assert.Equal("/hello", (string?)json["path"]);
    }

    [Theory]
    [InlineData("san-hostname.example", "tls-other-name")] // cert names other.internal; the policy lists it
    [InlineData("san-uri.example", "tls-uri")]             // cert has only a URI SAN; the policy lists it
    public async Task SubjectAltNames_replace_the_hostname_in_verification(string host, string backend)
    {
        var reply = await Client.SendAsync(host, Shared.Port, "/");

        Assert.Equal(200, reply.Status);
        var json = JsonNode.Parse(reply.Body)!;
        Assert.Equal(backend, (string?)json["tlsBackend"]);
        Assert.Equal("backend.internal", (string?)json["sni"]);
    }

    [Theory]
    [InlineData("wrong-name.example")] // cert names other.internal, policy expects backend.internal
    [InlineData("wrong-ca.example")]   // cert from the CA, ConfigMap holds an unrelated CA
    [InlineData("wrong-san.example")]  // subjectAltNames lists a name the cert does not carry
    public async Task A_backend_failing_verification_is_refused_with_502(string host)
    {
        var reply = await Client.SendAsync(host, Shared.Port, "/");

        Assert.Equal(502, reply.Status);
    }

    [Fact]
    public async Task A_policy_whose_CA_cannot_be_resolved_fails_closed_and_says_why()
    {
        var reply = await Client.SendAsync("missing-ca.example", Shared.Port, "/");
        Assert.Equal(500, reply.Status);

        var status = await S.Gateway.StatusAsync();
        var policy = status.Require("BackendTLSPolicy", "default", "missing-ca");
        var ancestor = policy["status"]!["ancestors"]!.AsArray().Single()!;
        Assert.Equal("gw", (string?)ancestor["ancestorRef"]!["name"]);
        var conditions = ancestor["conditions"]!.AsArray().Select(c => Condition.From(c!)).ToList();
        Assert.Contains(conditions, c => c is { Type: "Accepted", Status: "False", Reason: "NoValidCACertificate" });
        Assert.Contains(conditions, c => c is { Type: "ResolvedRefs", Status: "False", Reason: "InvalidCACertificateRef" });
    }

    [Fact]
    public async Task Status_accepts_valid_policies_per_gateway_and_claims_the_features()
    {
        var status = await S.Gateway.StatusAsync();

        var good = status.Require("BackendTLSPolicy", "default", "good")["status"]!["ancestors"]!.AsArray().Single()!;
        Assert.Equal("meshway.dev/gateway-controller", (string?)good["controllerName"]);
        Assert.Contains(good["conditions"]!.AsArray().Select(c => Condition.From(c!)), c => c is { Type: "Accepted", Status: "True" });
        var features = status.Require("GatewayClass", null, "meshway")["status"]!["supportedFeatures"]!.AsArray()
            .Select(f => (string?)f!["name"]).ToList();
        Assert.Contains("BackendTLSPolicy", features);
        Assert.Contains("BackendTLSPolicySANValidation", features);
    }

    public sealed class Fixture : ScenarioFixture
    {
        public int Port { get; private set; }

        protected override string Name => "backendtls";

        protected override async Task ConfigureAsync(Scenario s)
        {
            var ca = TestCa.Create("meshway-e2e-backend-ca");
            var unrelated = TestCa.Create("unrelated-ca");
            var certs = Path.Combine(s.ConfigDir, "certs");
            Directory.CreateDirectory(certs);

            var good = s.Own(await TlsEchoBackend.StartAsync("tls-good", s.NextAddress(), ca.Issue(["backend.internal"]), certs));
            var otherName = s.Own(await TlsEchoBackend.StartAsync("tls-other-name", s.NextAddress(), ca.Issue(["other.internal"]), certs));
            var uri = s.Own(await TlsEchoBackend.StartAsync("tls-uri", s.NextAddress(), ca.Issue([], "spiffe://cluster.local/ns/default/sa/backend"), certs));

            Port = s.FreePort();
            var documents = new List<string>
            {
                GatewayClass,
                Namespace("default"),
                Gateway("default", "gw", s.GatewayAddress, Listener("http", Port)),
                good.ServiceYaml("good"),
                good.ServiceYaml("missing-ca"),
                good.ServiceYaml("wrong-ca"),
                otherName.ServiceYaml("wrong-name"),
                otherName.ServiceYaml("san-hostname"),
                otherName.ServiceYaml("wrong-san"),
                uri.ServiceYaml("san-uri"),
                CaConfigMap("backend-ca", ca.CertificatePem),
                CaConfigMap("unrelated-ca", unrelated.CertificatePem),
                Policy("good", "backend-ca"),
                Policy("wrong-name", "backend-ca"),
                Policy("wrong-ca", "unrelated-ca"),
                Policy("missing-ca", "no-such-configmap"),
                Policy("san-hostname", "backend-ca", "    subjectAltNames:\n    - type: Hostname\n      hostname: other.internal\n"),
                Policy("wrong-san", "backend-ca", "    subjectAltNames:\n    - type: Hostname\n      hostname: nobody.internal\n"),
                Policy("san-uri", "backend-ca", "    subjectAltNames:\n    - type: URI\n      uri: spiffe://cluster.local/ns/default/sa/backend\n"),
            };
            foreach (var service in new[] { "good", "missing-ca", "wrong-ca", "wrong-name", "san-hostname", "wrong-san", "san-uri" })
            {
                documents.Add($$"""
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata:
                      name: {{service}}
                      namespace: default
                    spec:
                      parentRefs: [{name: gw}]
                      hostnames: ["{{service}}.example"]
                      rules:
                      - backendRefs: [{name: {{service}}, port: 443}]
                    """);
            }

            s.WriteFile("gateway.yaml", Documents([.. documents]));
        }

        private static string CaConfigMap(string name, string pem) => $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{name}}
              namespace: default
            data:
              ca.crt: |
            {{string.Concat(pem.Trim().Split('\n').Select(l => "    " + l.TrimEnd('\r') + "\n"))}}
            """;

        private static string Policy(string service, string configMap, string extra = "") => $$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: BackendTLSPolicy
            metadata:
              name: {{service}}
              namespace: default
            spec:
              targetRefs:
              - {group: "", kind: Service, name: {{service}}}
              validation:
                hostname: backend.internal
                caCertificateRefs:
                - {group: "", kind: ConfigMap, name: {{configMap}}}
            {{extra}}
            """;
    }
}
