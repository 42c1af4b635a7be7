using System.Text.Json;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Tests.Manifests;

public sealed class ManifestLoaderTests
{
    [Fact]
    public void Parse_MultiDocument_ReturnsTypedObjectsInOrder()
    {
        var result = ManifestLoader.Parse("all.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: meshway}
            spec: {controllerName: meshway.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: infra}
            spec:
              gatewayClassName: meshway
              listeners:
              - {name: http, port: 80, protocol: HTTP}
            ---
            # only a comment: ignored
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ports: [{name: http, port: 80, targetPort: http-port}]
            """);

        Assert.Empty(result.Errors);
        Assert.Collection(
            result.Objects,
            o => Assert.Equal("meshway.dev/gateway-controller", Assert.IsType<GatewayClass>(o).Spec.ControllerName),
            o =>
            {
                var gateway = Assert.IsType<Gateway>(o);
                Assert.Equal("infra", gateway.Namespace);
                Assert.Equal(80, Assert.Single(gateway.Spec.Listeners!).Port);
            },
            o =>
            {
                var service = Assert.IsType<Service>(o);
                Assert.Equal("default", service.Metadata.Namespace); // defaulted, as an API server would
                Assert.Equal(IntOrString.FromString("http-port"), service.Spec.Ports![0].TargetPort);
            });
    }

    [Fact]
    public void Parse_MissingGeneration_DefaultsToOne_AndKeepsExplicitOne()
    {
        var result = ManifestLoader.Parse("f.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: b, generation: 5}
            """);

        Assert.Equal([1L, 5L], result.Objects.Select(o => o.Metadata.Generation!.Value));
        Assert.All(result.Objects, o => Assert.Equal("", o.Namespace)); // cluster-scoped: no namespace
    }

    [Fact]
    public void Parse_PlainScalars_AreTyped_QuotedStayStrings()
    {
        // A quoted "80" in an int field is a type error (as kubectl says); a plain 80 is a number.
        var ok = ManifestLoader.Parse("f.yaml", """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: s
              labels: {kubernetes.io/service-name: web, version: "1", enabled: "true"}
            ports: [{name: http, port: 8080}]
            endpoints:
            - addresses: ["10.0.0.1"]
              conditions: {ready: false, serving: true, terminating: ~}
            """);
        Assert.Empty(ok.Errors);
        var slice = Assert.IsType<EndpointSlice>(Assert.Single(ok.Objects));
        Assert.Equal(8080, slice.Ports![0].Port);
        Assert.Equal("1", slice.Metadata.Labels!["version"]);
        Assert.Equal("true", slice.Metadata.Labels["enabled"]);
        Assert.False(slice.Endpoints![0].Conditions!.Ready);
        Assert.True(slice.Endpoints[0].Conditions!.Serving);
        Assert.Null(slice.Endpoints[0].Conditions!.Terminating);

        var quoted = ManifestLoader.Parse("f.yaml", """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s}
            ports: [{port: "8080"}]
            """);
        var error = Assert.Single(quoted.Errors);
        Assert.Contains("f.yaml: document 1: EndpointSlice: invalid field type", error);
        Assert.Contains("$.ports[0].port", error);
    }

    [Fact]
    public void Parse_PlainNumberInStringField_IsATypeError()
    {
        var result = ManifestLoader.Parse("route.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r}
            spec:
              hostnames: [123]
            """);

        Assert.Empty(result.Objects);
        Assert.Contains("$.spec.hostnames[0]", Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_MalformedDocument_ReportsLineAndColumn_AndKeepsTheOthers()
    {
        var result = ManifestLoader.Parse("broken.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: good}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: [unclosed
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: also-good}
            """);

        Assert.Equal(["good", "also-good"], result.Objects.Select(o => o.Name));
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("broken.yaml: document 2: malformed YAML at line ", error);
        // The broken flow sequence is on line 7 of the file (or reported at the end of that document).
        var line = int.Parse(error["broken.yaml: document 2: malformed YAML at line ".Length..].Split(',')[0]);
        Assert.InRange(line, 7, 8);
        Assert.Contains("column", error);
    }

    [Fact]
    public void Parse_MissingKindOrApiVersion_IsAnError()
    {
        var result = ManifestLoader.Parse("f.yaml", """
            apiVersion: v1
            metadata: {name: x}
            ---
            kind: Service
            metadata: {name: y}
            """);

        Assert.Empty(result.Objects);
        Assert.Equal(
            ["f.yaml: document 1: missing apiVersion or kind", "f.yaml: document 2: missing apiVersion or kind (kind Service)"],
            result.Errors);
    }

    [Fact]
    public void Parse_UnknownKind_IsReportedAsIgnored()
    {
        var result = ManifestLoader.Parse("f.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            """);

        Assert.Empty(result.Objects);
        Assert.Equal("f.yaml: document 1: unsupported kind Deployment (apiVersion apps/v1); document ignored", Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_NonMappingDocument_AndMissingName_AreErrors()
    {
        var result = ManifestLoader.Parse("f.yaml", """
            - just
            - a list
            ---
            apiVersion: v1
            kind: Secret
            metadata: {}
            """);

        Assert.Empty(result.Objects);
        Assert.Equal(2, result.Errors.Count);
        Assert.Contains("must be a mapping", result.Errors[0]);
        Assert.Contains("metadata.name is required", result.Errors[1]);
    }

    [Fact]
    public void Parse_EmptyAndWhitespaceInput_GivesNothing()
    {
        foreach (var text in new[] { "", "   \n", "---\n---\n", "# comment\n...\n" })
        {
            var result = ManifestLoader.Parse("e.yaml", text);
            Assert.Empty(result.Objects);
            Assert.Empty(result.Errors);
        }
    }

    [Fact]
    public void Parse_AliasBomb_IsRejectedNotExpanded()
    {
        var lines = new List<string> { "apiVersion: v1", "kind: Namespace", "metadata: {name: n}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 9; i++)
        {
            lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        }

        var result = ManifestLoader.Parse("bomb.yaml", string.Join("\n", lines));

        Assert.Empty(result.Objects);
        Assert.Contains("nodes", Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnError()
    {
        var result = ManifestLoader.Parse("f.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            metadata: {name: b}
            """);

        Assert.Empty(result.Objects);
        Assert.Contains("f.yaml: document 1: malformed YAML", Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_Secret_DataAndStringData()
    {
        var result = ManifestLoader.Parse("s.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: cert}
            type: kubernetes.io/tls
            data: {tls.crt: Y3J0, tls.key: a2V5}
            stringData:
              note: |
                multi
                line
            """);

        var secret = Assert.IsType<Secret>(Assert.Single(result.Objects));
        Assert.Equal(Secret.TlsType, secret.Type);
        Assert.Equal("Y3J0", secret.Data!["tls.crt"]);
        Assert.Equal("multi\nline\n", secret.StringData!["note"]);
    }

    [Fact]
    public void Parse_UnknownFields_AreKeptInExtensionData()
    {
        var result = ManifestLoader.Parse("g.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: c, managedFields: [{manager: kubectl}]}
            spec: {controllerName: x}
            status: {conditions: []}
            """);

        var gatewayClass = Assert.IsType<GatewayClass>(Assert.Single(result.Objects));
        Assert.True(gatewayClass.ExtensionData!.ContainsKey("status"));
        Assert.True(gatewayClass.Metadata.ExtensionData!.ContainsKey("managedFields"));
        var json = JsonSerializer.Serialize(gatewayClass, KubeJsonContext.Default.GatewayClass);
        Assert.Contains("\"status\":{\"conditions\":[]}", json);
        Assert.Contains("\"controllerName\":\"x\"", json);
    }

    [Fact]
    public void Parse_CreationTimestamp_IsParsed()
    {
        var result = ManifestLoader.Parse("r.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, creationTimestamp: 2024-05-06T07:08:09Z, uid: abc, resourceVersion: "42"}
            """);

        var route = Assert.IsType<HttpRoute>(Assert.Single(result.Objects));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), route.Metadata.CreationTimestamp);
        Assert.Equal("42", route.Metadata.ResourceVersion);
        Assert.Equal("abc", route.Metadata.Uid);
    }

    [Fact]
    public void Parse_NullSpecAndMetadataValues_DoNotLeaveNulls()
    {
        var result = ManifestLoader.Parse("n.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: g}
            spec: null
            """);

        var gateway = Assert.IsType<Gateway>(Assert.Single(result.Objects));
        Assert.NotNull(gateway.Spec);
        Assert.Null(gateway.Spec.Listeners);
    }

    [Fact]
    public void Parse_ReferenceGrant_V1beta1()
    {
        var result = ManifestLoader.Parse("g.yaml", """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: g, namespace: backends}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
              to: [{group: "", kind: Service}]
            """);

        var grant = Assert.IsType<ReferenceGrant>(Assert.Single(result.Objects));
        Assert.Equal("", grant.Spec.To![0].Group);
        Assert.Equal("default", grant.Spec.From![0].Namespace);
    }
}
