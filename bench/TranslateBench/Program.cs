using System.Diagnostics;
using System.Text;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Translation;
using Meshway.Translation.Caching;
using Meshway.Translation.Status;

// Prints, per route count, the median of several runs of each step a config change goes through in the
// translation layer: parsing the manifests, building the ResourceSet, translating, and (the propagation
// case) translating again after one route was added to the set. Arguments: route counts (default 1 100 1000 5000).
if (args.Length == 2 && args[0] == "--profile")
{
    // Translation only, in a loop, for `perf record`: the profile then shows nothing but translation.
    var all = ManifestLoader.Parse("routes.yaml", Manifests.Base() + Manifests.Routes(int.Parse(args[1]))).Objects;
    var extraRoute = ManifestLoader.Parse("extra.yaml", Manifests.Route("extra", "extra.example.com", "/extra")).Objects;
    var set = ResourceSet.From(all);
    var plus = ResourceSet.From([.. all, .. extraRoute]);
    var profileCache = new TranslationCache();
    for (var i = 0; i < 60; i++)
    {
        var sw = Stopwatch.GetTimestamp();
        Translator.Translate(i % 2 == 0 ? set : plus, new TranslationOptions(), profileCache);
        Console.Write($"{Stopwatch.GetElapsedTime(sw).TotalMilliseconds:F0} ");
    }

    return;
}

if (args.Length == 2 && args[0] == "--memory")
{
    // Live bytes (after a full GC) that each stage adds at N routes: what the gateway holds while it serves.
    var n = int.Parse(args[1]);
    long Live() => GC.GetTotalMemory(forceFullCollection: true);
    var yaml = Manifests.Base() + Manifests.Routes(n);
    var start = Live();
    var parsed = ManifestLoader.Parse("routes.yaml", yaml).Objects;
    var afterParse = Live();
    var memCache = new TranslationCache();
    var translated = Translator.Translate(ResourceSet.From(parsed), new TranslationOptions(), memCache);
    var afterTranslate = Live();
    var statusOnly = translated.Status;
    translated = translated with { Status = StatusReport.Empty };
    var withoutStatus = Live();
    GC.KeepAlive(statusOnly);
    Console.WriteLine($"routes={n} yaml text={yaml.Length * 2 / 1048576.0:F1} MB; objects={(afterParse - start) / 1048576.0:F1} MB; "
        + $"translation (snapshot+status+cache)={(afterTranslate - afterParse) / 1048576.0:F1} MB; of which status={(afterTranslate - withoutStatus) / 1048576.0:F1} MB");
    GC.KeepAlive(parsed);
    GC.KeepAlive(translated);
    GC.KeepAlive(memCache);
    return;
}

var sizes = args.Length > 0 ? args.Select(int.Parse).ToArray() : [1, 100, 1000, 5000];
var options = new TranslationOptions();
Console.WriteLine("| routes | parse ms | ResourceSet ms | translate ms | +1 route: ResourceSet + translate ms | +1 route, with TranslationCache ms | allocated MB per translate | allocated MB, +1 route with TranslationCache |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
foreach (var n in sizes)
{
    var yaml = Manifests.Base() + Manifests.Routes(n);
    var extra = ManifestLoader.Parse("extra.yaml", Manifests.Route("extra", "extra.example.com", "/extra")).Objects;
    var runs = n >= 1000 ? 5 : 15;
    var parse = new List<double>();
    var set = new List<double>();
    var translate = new List<double>();
    var plusOne = new List<double>();
    var plusOneCached = new List<double>();
    var allocated = new List<double>();
    var allocatedCached = new List<double>();
    IReadOnlyList<KubeObject> objects = [];
    for (var i = 0; i < runs + 1; i++)
    {
        var t = Stopwatch.GetTimestamp();
        objects = ManifestLoader.Parse("routes.yaml", yaml).Objects;
        parse.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);

        t = Stopwatch.GetTimestamp();
        var resources = ResourceSet.From(objects);
        set.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);

        var before = GC.GetAllocatedBytesForCurrentThread();
        t = Stopwatch.GetTimestamp();
        var result = Translator.Translate(resources, options);
        translate.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        allocated.Add((GC.GetAllocatedBytesForCurrentThread() - before) / 1048576.0);
        if (result.Snapshot.Bindings.Length != 1)
        {
            throw new InvalidOperationException("expected one port binding");
        }

        // The propagation case: the same objects plus one more route (as a file watcher delivers them).
        var withExtra = new List<KubeObject>(objects.Count + 1);
        withExtra.AddRange(objects);
        withExtra.AddRange(extra);
        t = Stopwatch.GetTimestamp();
        Translator.Translate(ResourceSet.From(withExtra), options);
        plusOne.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);

        // The same with a cache warmed by the translation before the change, as the config applier runs it.
        var cache = new TranslationCache();
        Translator.Translate(resources, options, cache);
        before = GC.GetAllocatedBytesForCurrentThread();
        t = Stopwatch.GetTimestamp();
        Translator.Translate(ResourceSet.From(withExtra), options, cache);
        plusOneCached.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        allocatedCached.Add((GC.GetAllocatedBytesForCurrentThread() - before) / 1048576.0);
        if (cache.LastCompiled != 1)
        {
            throw new InvalidOperationException($"expected one route compiled, got {cache.LastCompiled}");
        }
    }

    // The first run pays for JIT: drop it.
    Console.WriteLine($"| {n} | {Median(parse.Skip(1))} | {Median(set.Skip(1))} | {Median(translate.Skip(1))} | {Median(plusOne.Skip(1))} | {Median(plusOneCached.Skip(1))} | {Median(allocated.Skip(1))} | {Median(allocatedCached.Skip(1))} |");
}

static string Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2].ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The manifests bench/bench.py writes (same shapes), so the figures match the end-to-end runs.</summary>
internal static class Manifests
{
    public static string Base() => """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway}
        spec: {controllerName: meshway.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: bench, namespace: default}
        spec:
          gatewayClassName: meshway
          addresses: [{type: IPAddress, value: 127.0.0.1}]
          listeners:
          - {name: http, port: 18081, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: up-a, namespace: default}
        spec: {ports: [{name: http, port: 80, targetPort: 18080}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: up-a-1, namespace: default, labels: {kubernetes.io/service-name: up-a}}
        addressType: IPv4
        ports: [{name: http, port: 18080}]
        endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]

        """;

    public static string Routes(int n)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            sb.Append(Route($"r{i}", $"{i}-route.example.com", $"/{i}"));
        }

        return sb.ToString();
    }

    public static string Route(string name, string hostname, string prefix) => $$$"""
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: {{{name}}}, namespace: default}
        spec:
          parentRefs: [{name: bench}]
          hostnames: [{{{hostname}}}]
          rules:
          - matches: [{path: {type: PathPrefix, value: "{{{prefix}}}"}}]
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier: {set: [{name: x-bench-route, value: "{{{name}}}"}]}
            - type: ResponseHeaderModifier
              responseHeaderModifier: {set: [{name: x-bench, value: "bench"}]}
            backendRefs: [{name: up-a, port: 80}]

        """;
}
