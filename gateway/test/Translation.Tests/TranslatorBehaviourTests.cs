using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.Translation.Tests;

/// <summary>What a request would get from the snapshot translation builds: the behaviour, not the JSON.</summary>
public sealed class TranslatorBehaviourTests
{
    private const string Prologue = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway}
        spec: {controllerName: meshway.dev/gateway-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{name: http, port: 80}]}
        ---

        """;

    private readonly struct Request(string path, string method = "GET") : IRequestView
    {
        public string Method { get; } = method;

        public string Path { get; } = path;

        public string? GetHeader(string name) => null;

        public string? GetQueryParameter(string name) => null;
    }

    internal static TranslationResult Translate(string yaml, TranslationOptions? options = null)
    {
        var parsed = ManifestLoader.Parse("t.yaml", Prologue + yaml);
        Assert.Empty(parsed.Errors);
        return Translator.Translate(ResourceSet.From(parsed.Objects), options ?? new TranslationOptions());
    }

    /// <summary>The route (namespace/name) a request for host+path on a port would be routed by, or null for 404.</summary>
    private static string? RouteFor(RoutingSnapshot snapshot, int port, string host, string path)
    {
        var binding = snapshot.Bindings.Single(b => b.Port == port);
        var listener = binding.ListenersByHost.Find(host);
        var table = listener?.Hosts.Find(host);
        return table?.Match(new Request(path))?.Rule.Route.ToString();
    }

    [Fact]
    public void ExactHostnameRoute_WinsOverWildcardRoute_EvenWithAShorterPath()
    {
        var result = Translate("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: meshway
              listeners: [{name: http, port: 80, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: wildcard}
            spec:
              parentRefs: [{name: gw}]
              hostnames: ["*.example.com"]
              rules: [{matches: [{path: {type: PathPrefix, value: /very/long/prefix}}], backendRefs: [{name: web, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: exact}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [foo.example.com]
              rules: [{backendRefs: [{name: web, port: 80}]}]
            """);

        Assert.Equal("default/exact", RouteFor(result.Snapshot, 80, "foo.example.com", "/very/long/prefix/x"));
        Assert.Equal("default/wildcard", RouteFor(result.Snapshot, 80, "bar.example.com:80", "/very/long/prefix/x"));
        Assert.Null(RouteFor(result.Snapshot, 80, "bar.example.com", "/other"));
        Assert.Null(RouteFor(result.Snapshot, 80, "example.com", "/very/long/prefix"));
    }

    [Fact]
    public void OlderRoute_WinsATie_AndRoutesWithoutTimestampComeLast()
    {
        var result = Translate("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: meshway
              listeners: [{name: http, port: 80, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: a-no-timestamp}
            spec:
              parentRefs: [{name: gw}]
              rules: [{backendRefs: [{name: web, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: z-old, creationTimestamp: "2020-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              rules: [{backendRefs: [{name: web, port: 80}]}]
            """);

        Assert.Equal("default/z-old", RouteFor(result.Snapshot, 80, "any.host", "/"));
    }

    [Fact]
    public void ListenerIsolation_RequestGoesOnlyToTheMostSpecificListener()
    {
        var result = Translate("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: meshway
              listeners:
              - {name: any, port: 80, protocol: HTTP}
              - {name: foo, port: 80, protocol: HTTP, hostname: foo.example.com}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: catch-all}
            spec:
              parentRefs: [{name: gw, sectionName: any}]
              rules: [{backendRefs: [{name: web, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: foo-only}
            spec:
              parentRefs: [{name: gw, sectionName: foo}]
              rules: [{matches: [{path: {type: Exact, value: /foo}}], backendRefs: [{name: web, port: 80}]}]
            """);

        Assert.Equal("default/foo-only", RouteFor(result.Snapshot, 80, "foo.example.com", "/foo"));
        // The catch-all listener's route must not serve foo.example.com: that host belongs to the foo listener.
        Assert.Null(RouteFor(result.Snapshot, 80, "foo.example.com", "/bar"));
        Assert.Equal("default/catch-all", RouteFor(result.Snapshot, 80, "bar.example.com", "/bar"));
    }

    [Fact]
    public void DefaultBindAddress_IsUsedWhenTheGatewayHasNoAddresses()
    {
        var result = Translate("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: meshway
              listeners: [{name: http, port: 8080, protocol: HTTP}]
            """, new TranslationOptions { DefaultBindAddress = "127.0.0.1" });

        var binding = Assert.Single(result.Snapshot.Bindings);
        Assert.Equal("127.0.0.1:8080", binding.Key);
    }

    [Fact]
    public void OtherControllersClasses_AreIgnoredEntirely()
    {
        var result = Translate("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: meshway
              listeners: [{name: http, port: 80, protocol: HTTP}]
            """, new TranslationOptions { ControllerName = "example.com/someone-else" });

        Assert.Empty(result.Snapshot.Bindings);
        Assert.Empty(result.Status.Items);
    }

    [Fact]
    public void Translate_IsDeterministic_WhateverTheInputOrder()
    {
        var dir = Path.Combine(GoldenTests.TestDataDir(), "precedence-across-routes");
        var parsed = ManifestLoader.Parse("input.yaml", File.ReadAllText(Path.Combine(dir, "input.yaml")));
        var forward = Translator.Translate(ResourceSet.From(parsed.Objects), new TranslationOptions());
        var backward = Translator.Translate(ResourceSet.From(parsed.Objects.Reverse()), new TranslationOptions());

        Assert.Equal(SnapshotJson.Write(forward.Snapshot).ToJsonString(), SnapshotJson.Write(backward.Snapshot).ToJsonString());
        Assert.Equal(forward.Status.ToJson().ToJsonString(), backward.Status.ToJson().ToJsonString());
    }

    [Theory]
    [InlineData("https-secret")]
    [InlineData("https-cross-namespace-secret-with-grant")]
    public void HttpsListener_CarriesACertificateWithItsPrivateKey(string golden)
    {
        var dir = Path.Combine(GoldenTests.TestDataDir(), golden);
        var parsed = ManifestLoader.Parse("input.yaml", File.ReadAllText(Path.Combine(dir, "input.yaml")));
        var result = Translator.Translate(ResourceSet.From(parsed.Objects), new TranslationOptions());

        var binding = Assert.Single(result.Snapshot.Bindings);
        Assert.Equal(ListenerProtocol.Https, binding.Protocol);
        var certificate = Assert.Single(binding.Listeners).Certificate;
        Assert.NotNull(certificate);
        Assert.True(certificate.HasPrivateKey);
        Assert.Same(binding.Listeners[0], binding.ListenersByHost.Find("www.example.com"));
    }

    [Fact]
    public void StatusReasons_AllMatchTheCrdPattern()
    {
        var pattern = new System.Text.RegularExpressions.Regex("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
        foreach (var dir in Directory.GetDirectories(GoldenTests.TestDataDir()))
        {
            var (_, status) = GoldenTests.Run(dir);
            foreach (var reason in System.Text.RegularExpressions.Regex.Matches(status, "\"reason\": \"([^\"]*)\"").Select(m => m.Groups[1].Value))
            {
                Assert.Matches(pattern, reason);
            }

            Assert.DoesNotContain("lastTransitionTime", status);
        }
    }
}
