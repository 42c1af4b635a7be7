using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;

namespace Meshway.Translation.Tests;

/// <summary>Translate must never throw: whatever files say, the gateway keeps running and reports status.</summary>
public sealed class HostileInputTests
{
    private static void TranslateAndRender(IEnumerable<KubeObject> objects)
    {
        var result = Translator.Translate(ResourceSet.From(objects), new TranslationOptions());
        Assert.NotNull(SnapshotJson.Write(result.Snapshot));
        Assert.NotNull(result.Status.ToJson().ToJsonString());
    }

    [Fact]
    public void Translate_GatewayTlsAndListenerSetsFullOfNulls_DoNotThrow()
    {
        var objects = new KubeObject[]
        {
            new GatewayClass { Metadata = new ObjectMeta { Name = "meshway" }, Spec = new GatewayClassSpec { ControllerName = "meshway.dev/gateway-controller" } },
            new Gateway
            {
                Metadata = new ObjectMeta { Name = "gw" },
                Spec = new GatewaySpec
                {
                    GatewayClassName = "meshway",
                    AllowedListeners = new AllowedListeners { Namespaces = new ListenerNamespaces { From = "Selector" } },
                    Tls = new GatewayTlsSettings
                    {
                        Backend = new GatewayBackendTls { ClientCertificateRef = new ObjectReference() },
                        Frontend = new FrontendTlsConfig
                        {
                            Default = new FrontendTlsSection { Validation = new FrontendTlsValidation { CaCertificateRefs = [null!, new ObjectReference()], Mode = "Bogus" } },
                            PerPort = [null!, new FrontendTlsPortConfig(), new FrontendTlsPortConfig { Port = 443, Tls = new FrontendTlsSection { Validation = new FrontendTlsValidation() } }],
                        },
                    },
                    Listeners = [new GatewayListener { Name = "s", Protocol = "HTTPS", Port = 443, Tls = new GatewayTlsConfig { CertificateRefs = [null!] } }],
                },
            },
            new Gateway { Metadata = new ObjectMeta { Name = "empty-tls" }, Spec = new GatewaySpec { GatewayClassName = "meshway", Tls = new GatewayTlsSettings { Frontend = new FrontendTlsConfig() } } },
            new ListenerSet(),
            new ListenerSet { Metadata = new ObjectMeta { Name = "ls" }, Spec = new ListenerSetSpec { ParentRef = new ParentGatewayReference { Name = "gw" }, Listeners = [null!, new GatewayListener()] } },
            new ListenerSet { Metadata = new ObjectMeta { Name = "ls2" }, Spec = new ListenerSetSpec { ParentRef = new ParentGatewayReference() } },
            new HttpRoute { Metadata = new ObjectMeta { Name = "h" }, Spec = new HttpRouteSpec { ParentRefs = [new ParentReference { Kind = "ListenerSet", Name = "ls" }, new ParentReference { Kind = "ListenerSet" }] } },
        };

        TranslateAndRender(objects);
    }

    [Fact]
    public void Translate_GrpcRoutesAndBackendTlsPoliciesFullOfNulls_DoNotThrow()
    {
        var objects = new KubeObject[]
        {
            new GatewayClass { Metadata = new ObjectMeta { Name = "meshway" }, Spec = new GatewayClassSpec { ControllerName = "meshway.dev/gateway-controller" } },
            new Gateway
            {
                Metadata = new ObjectMeta { Name = "gw" },
                Spec = new GatewaySpec { GatewayClassName = "meshway", Listeners = [new GatewayListener { Name = "h", Protocol = "HTTP", Port = 80 }] },
            },
            new GrpcRoute(),
            new GrpcRoute
            {
                Metadata = new ObjectMeta { Name = "g" },
                Spec = new GrpcRouteSpec
                {
                    ParentRefs = [null!, new ParentReference { Name = "gw" }],
                    Hostnames = [null!, ""],
                    Rules =
                    [
                        null!,
                        new GrpcRouteRule(),
                        new GrpcRouteRule
                        {
                            Matches = [null!, new GrpcRouteMatch(), new GrpcRouteMatch { Method = new GrpcMethodMatch(), Headers = [null!] },
                                new GrpcRouteMatch { Method = new GrpcMethodMatch { Type = "RegularExpression", Service = "((", Method = "" } }],
                            Filters = [null!, new HttpRouteFilter(), new HttpRouteFilter { Type = "RequestMirror" }, new HttpRouteFilter { Type = "ExtensionRef" }],
                            BackendRefs = [null!, new HttpBackendRef(), new HttpBackendRef { Name = "svc", Port = 80, Filters = [null!, new HttpRouteFilter { Type = "RequestMirror" }] }],
                        },
                        new GrpcRouteRule { BackendRefs = [new HttpBackendRef { Name = "svc", Port = 80 }] },
                    ],
                },
            },
            new HttpRoute { Metadata = new ObjectMeta { Name = "h" }, Spec = new HttpRouteSpec { ParentRefs = [new ParentReference { Name = "gw" }] } },
            new Service { Metadata = new ObjectMeta { Name = "svc" }, Spec = new ServiceSpec { Ports = [null!, new ServicePort { Port = 80 }] } },
            new ConfigMap(),
            new ConfigMap { Metadata = new ObjectMeta { Name = "ca" }, Data = new() { ["ca.crt"] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----" } },
            new BackendTlsPolicy(),
            new BackendTlsPolicy
            {
                Metadata = new ObjectMeta { Name = "p" },
                Spec = new BackendTlsPolicySpec
                {
                    TargetRefs = [null!, new PolicyTargetReference(), new PolicyTargetReference { Kind = "Service", Name = "svc", SectionName = "" }],
                    Validation = new BackendTlsValidation
                    {
                        Hostname = "svc.internal",
                        CaCertificateRefs = [new ObjectReference { Kind = "ConfigMap", Name = "ca" }],
                        SubjectAltNames = [new SubjectAltName { Type = "URI", Uri = "spiffe://x/y" }],
                    },
                },
            },
            new BackendTlsPolicy
            {
                Metadata = new ObjectMeta { Name = "q" },
                Spec = new BackendTlsPolicySpec
                {
                    TargetRefs = [new PolicyTargetReference { Kind = "Service", Name = "svc" }],
                    Validation = new BackendTlsValidation { SubjectAltNames = [null!], CaCertificateRefs = [null!] },
                },
            },
        };

        TranslateAndRender(objects);
    }

    [Fact]
    public void Translate_ObjectsFullOfNullsAndEmptyValues_DoesNotThrow()
    {
        var objects = new KubeObject[]
        {
            new GatewayClass { Metadata = new ObjectMeta { Name = "meshway" }, Spec = new GatewayClassSpec { ControllerName = "meshway.dev/gateway-controller" } },
            new GatewayClass(),
            new Gateway(),
            new Gateway
            {
                Metadata = new ObjectMeta { Name = "gw" },
                Spec = new GatewaySpec
                {
                    GatewayClassName = "meshway",
                    Addresses = [null!, new GatewayAddress(), new GatewayAddress { Value = "not-an-ip" }],
                    Listeners =
                    [
                        null!,
                        new GatewayListener(),
                        new GatewayListener { Name = "h", Protocol = "HTTPS", Port = 443, Tls = new GatewayTlsConfig { CertificateRefs = [null!, new ObjectReference()] } },
                        new GatewayListener { Name = "x", Protocol = "HTTP", Port = 80, Hostname = "", AllowedRoutes = new AllowedRoutes { Kinds = [null!], Namespaces = new RouteNamespaces { From = "Selector", Selector = new LabelSelector { MatchExpressions = [null!, new LabelSelectorRequirement()] } } } },
                        new GatewayListener { Name = "y", Protocol = "HTTP", Port = 99999, Hostname = "*" },
                    ],
                },
            },
            new HttpRoute
            {
                Metadata = new ObjectMeta { Name = "r" },
                Spec = new HttpRouteSpec
                {
                    ParentRefs = [null!, new ParentReference(), new ParentReference { Name = "gw" }, new ParentReference { Name = "gw", Port = -1, SectionName = "" }],
                    Hostnames = [null!, "", "*", "UPPER.example.com"],
                    Rules =
                    [
                        null!,
                        new HttpRouteRule(),
                        new HttpRouteRule
                        {
                            Matches = [null!, new HttpRouteMatch { Path = new HttpPathMatch(), Headers = [null!], QueryParams = [new HttpValueMatch()] }],
                            Filters = [null!, new HttpRouteFilter(), new HttpRouteFilter { Type = "RequestMirror", RequestMirror = new HttpRequestMirrorFilter { Fraction = new MirrorFraction { Denominator = 0 } } }],
                            BackendRefs = [null!, new HttpBackendRef(), new HttpBackendRef { Name = "web", Port = 80, Weight = int.MaxValue, Filters = [null!] }],
                            Timeouts = new HttpRouteTimeouts { Request = "", BackendRequest = "99999h99999m99999s99999ms" },
                        },
                        new HttpRouteRule
                        {
                            Matches = [new HttpRouteMatch { Path = new HttpPathMatch { Type = "RegularExpression", Value = "" } }],
                            Filters = [new HttpRouteFilter { Type = "RequestHeaderModifier", RequestHeaderModifier = new HttpHeaderFilter { Set = [null!], Remove = [null!] } }],
                        },
                        new HttpRouteRule { Filters = [new HttpRouteFilter { Type = "RequestRedirect", RequestRedirect = new HttpRequestRedirectFilter { Path = new HttpPathModifier { Type = "ReplacePrefixMatch" } } }] },
                        new HttpRouteRule { Filters = [new HttpRouteFilter { Type = "URLRewrite" }, new HttpRouteFilter { Type = "ExtensionRef" }] },
                    ],
                },
            },
            new Service { Metadata = new ObjectMeta { Name = "web" }, Spec = new ServiceSpec { Ports = [null!, new ServicePort { Port = 80, TargetPort = IntOrString.FromInt(-5) }] } },
            new EndpointSlice { Metadata = new ObjectMeta { Name = "s", Labels = new() { [EndpointSlice.ServiceNameLabel] = "web" } }, Ports = [null!], Endpoints = [null!, new Endpoint { Addresses = [null!, "garbage", "::1"] }] },
            new ReferenceGrant { Metadata = new ObjectMeta { Name = "g" }, Spec = new ReferenceGrantSpec { From = [null!], To = [null!] } },
            new Secret { Metadata = new ObjectMeta { Name = "s" }, Data = new() { ["tls.crt"] = "!!!not base64", ["tls.key"] = null! } },
            new KubeNamespace(),
        };

        TranslateAndRender(objects);
    }

    [Fact]
    public void Translate_RegexThatWouldBacktrackForever_IsCompiledWithATimeout()
    {
        var parsed = ManifestLoader.Parse("t.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: meshway}
            spec: {controllerName: meshway.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec: {gatewayClassName: meshway, listeners: [{name: http, port: 80, protocol: HTTP}]}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r}
            spec:
              parentRefs: [{name: gw}]
              rules: [{matches: [{path: {type: RegularExpression, value: "/(a+)+$"}}]}]
            """);

        var result = Translator.Translate(ResourceSet.From(parsed.Objects), new TranslationOptions());
        var entry = Assert.Single(result.Snapshot.Bindings[0].Listeners[0].Hosts.Entries).Value.Entries[0];

        Assert.False(entry.Match.Path.IsMatch("/" + new string('a', 40) + "!"));
    }

    /// <summary>
    /// Mangles every golden input many ways (lines dropped, duplicated, swapped, values replaced) and checks
    /// that loading and translating never throws. The seed is fixed so a failure reproduces.
    /// </summary>
    [Fact]
    public void LoadAndTranslate_MangledGoldenInputs_NeverThrow()
    {
        var random = new Random(20261122);
        string[] replacements = ["", "null", "~", "[]", "{}", "-1", "99999999999999999999", "\"\"", "*", "&a x", "*a", "!!binary x", "'", "|"];
        foreach (var dir in Directory.GetDirectories(GoldenTests.TestDataDir()))
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "input.yaml"));
            for (var round = 0; round < 25; round++)
            {
                var mangled = lines.ToList();
                for (var edit = 0; edit < 1 + round % 4; edit++)
                {
                    var i = random.Next(mangled.Count);
                    switch (random.Next(4))
                    {
                        case 0:
                            mangled.RemoveAt(i);
                            break;
                        case 1:
                            mangled.Insert(i, mangled[i]);
                            break;
                        case 2:
                            var j = random.Next(mangled.Count);
                            (mangled[i], mangled[j]) = (mangled[j], mangled[i]);
                            break;
                        default:
                            var colon = mangled[i].IndexOf(": ", StringComparison.Ordinal);
                            if (colon > 0)
                            {
                                mangled[i] = mangled[i][..(colon + 2)] + replacements[random.Next(replacements.Length)];
                            }

                            break;
                    }
                }

                var parsed = ManifestLoader.Parse("mangled.yaml", string.Join("\n", mangled));
                TranslateAndRender(parsed.Objects);
            }
        }
    }
}
