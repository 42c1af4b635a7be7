using System.Text.Json;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation.Caching;

namespace Meshway.Translation.Tests.Caching;

/// <summary>
/// A translation with a <see cref="TranslationCache"/> must give exactly what a translation without one gives
/// (snapshot and status, byte for byte), whatever changed since the last one; the cache only saves work.
/// </summary>
public sealed class TranslationCacheTests
{
    private static readonly TranslationOptions Options = new();

    private const string Base = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway}
        spec: {controllerName: meshway.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec:
          gatewayClassName: meshway
          listeners:
          - {name: shared, port: 80, protocol: HTTP}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: svc, namespace: default}
        spec: {ports: [{name: http, port: 80, targetPort: 8080}]}

        """;

    public static TheoryData<string> GoldenCases() => GoldenTests.Cases();

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void GoldenCase_TranslatedTwiceWithCache_MatchesUncachedAndReusesEveryRoute(string name)
    {
        var dir = Path.Combine(TestDataDir(), name);
        var objects = ManifestLoader.Parse("input.yaml", File.ReadAllText(Path.Combine(dir, "input.yaml"))).Objects;
        var cache = new TranslationCache();
        var expected = Render(Translator.Translate(ResourceSet.From(objects), Options));

        Assert.Equal(expected, Render(Translator.Translate(ResourceSet.From(objects), Options, cache)));
        var compiledFirst = cache.LastCompiled;
        Assert.Equal(expected, Render(Translator.Translate(ResourceSet.From(objects), Options, cache)));
        Assert.Equal(0, cache.LastCompiled);
        Assert.Equal(compiledFirst, cache.LastReused);
    }

    [Fact]
    public void AddingARoute_CompilesOnlyThatRoute_AndMatchesUncached()
    {
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("a", "a.example.com") + Route("b", "b.example.com")).ToList();
        Translator.Translate(ResourceSet.From(objects), Options, cache);

        objects.AddRange(Parse(Route("c", "c.example.com")));
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(1, cache.LastCompiled);
        Assert.Equal(2, cache.LastReused);
        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
        Assert.Contains(cached.Snapshot.Bindings[0].Listeners[0].Hosts.Entries, e => e.Key == "c.example.com");
    }

    [Fact]
    public void AddingAWildcardRoute_RebuildsTheTablesOfEveryHostItCovers()
    {
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("a", "a.example.com") + Route("b", "b.example.com")).ToList();
        var before = Translator.Translate(ResourceSet.From(objects), Options, cache);
        var tableA = before.Snapshot.Bindings[0].Listeners[0].Hosts.Entries.Single(e => e.Key == "a.example.com").Value;
        Assert.Equal(1, tableA.Count);

        objects.AddRange(Parse(Route("wild", "\"*.example.com\"")));
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
        var after = cached.Snapshot.Bindings[0].Listeners[0].Hosts.Entries.Single(e => e.Key == "a.example.com").Value;
        Assert.Equal(2, after.Count); // a's own rule and the wildcard route's
    }

    [Fact]
    public void EditingARoute_RecompilesIt_AndServesTheEdit()
    {
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("a", "a.example.com") + Route("b", "b.example.com")).ToList();
        Translator.Translate(ResourceSet.From(objects), Options, cache);

        // A config source hands an edited route over as a new object.
        objects[^1] = Parse(Route("b", "b2.example.com")).Single();
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(1, cache.LastCompiled);
        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
        var hosts = cached.Snapshot.Bindings[0].Listeners[0].Hosts.Entries.Select(e => e.Key).ToList();
        Assert.Contains("b2.example.com", hosts);
        Assert.DoesNotContain("b.example.com", hosts);
    }

    [Fact]
    public void ChangingAService_RecompilesEveryRoute_AndReportsTheBrokenReference()
    {
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("a", "a.example.com") + Route("b", "b.example.com")).ToList();
        var before = Translator.Translate(ResourceSet.From(objects), Options, cache);
        Assert.Contains("All references resolved", StatusOf(before, "a"));

        // The Service stops exposing port 80, which both routes send to.
        var service = objects.FindIndex(o => o is Service);
        objects[service] = Parse("""
            apiVersion: v1
            kind: Service
            metadata: {name: svc, namespace: default}
            spec: {ports: [{name: http, port: 81, targetPort: 8080}]}
            """).Single();
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(2, cache.LastCompiled);
        Assert.Equal(0, cache.LastReused);
        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
        Assert.DoesNotContain("All references resolved", StatusOf(cached, "a"));
    }

    [Fact]
    public void AnOlderGrpcRouteArriving_RefusesTheCachedHttpRoute_InItsStatus()
    {
        // The HTTPRoute's compiled form is reused, but how it attaches changed (the GRPCRoute is older and
        // takes the hostname): its status must say so, not repeat the cached "accepted".
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("web", "web.example.com", created: "2025-01-01T00:00:00Z")).ToList();
        var first = Translator.Translate(ResourceSet.From(objects), Options, cache);
        Assert.Contains("\"status\": \"True\"", StatusOf(first, "web"));

        objects.AddRange(Parse("""
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: grpc, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: ["*.example.com"]
              rules:
              - backendRefs: [{name: svc, port: 80}]
            """));
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(1, cache.LastReused);
        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
        Assert.Contains("NotAllowedByListeners", StatusOf(cached, "web"));
    }

    [Fact]
    public void RemovedRoutes_AreForgotten()
    {
        var cache = new TranslationCache();
        var objects = Parse(Base + Route("a", "a.example.com") + Route("b", "b.example.com")).ToList();
        Translator.Translate(ResourceSet.From(objects), Options, cache);
        var b = objects[^1];
        objects.RemoveAt(objects.Count - 1);
        Translator.Translate(ResourceSet.From(objects), Options, cache);

        // Put the very same object back: it was dropped from the cache with its removal, so it compiles again.
        objects.Add(b);
        var cached = Translator.Translate(ResourceSet.From(objects), Options, cache);

        Assert.Equal(1, cache.LastCompiled);
        Assert.Equal(Render(Translator.Translate(ResourceSet.From(objects), Options)), Render(cached));
    }

    private static string StatusOf(TranslationResult result, string name) =>
        result.Status.Items.Single(i => i.Name == name).Status.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static (string Snapshot, string Status) Render(TranslationResult result) =>
        (SnapshotJson.Write(result.Snapshot).ToJsonString(), result.Status.ToJson().ToJsonString());

    private static IReadOnlyList<KubeObject> Parse(string yaml)
    {
        var parsed = ManifestLoader.Parse("t.yaml", yaml);
        Assert.Empty(parsed.Errors);
        return parsed.Objects;
    }

    private static string Route(string name, string hostname, string? created = null) => $$$"""
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: {{{name}}}, namespace: default{{{(created is null ? "" : $", creationTimestamp: \"{created}\"")}}}}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [{{{hostname}}}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /{{{name}}}}}]
            backendRefs: [{name: svc, port: 80}]

        """;

    // GoldenTests.TestDataDir resolves next to the calling file (this one is a folder deeper).
    private static string TestDataDir() => Path.GetFullPath(Path.Combine(GoldenTests.TestDataDir(), "..", "..", "testdata"));
}
