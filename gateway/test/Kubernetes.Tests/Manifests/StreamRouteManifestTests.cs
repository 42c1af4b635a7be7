using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Tests.Manifests;

public sealed class StreamRouteManifestTests
{
    [Theory]
    [InlineData("gateway.networking.k8s.io/v1")]
    [InlineData("gateway.networking.k8s.io/v1alpha2")]
    public void Parse_TlsRoute_ReadsParentsHostnamesAndWeightedBackends(string apiVersion)
    {
        var result = ManifestLoader.Parse("tls.yaml", $$"""
            apiVersion: {{apiVersion}}
            kind: TLSRoute
            metadata: {name: db, namespace: apps}
            spec:
              parentRefs: [{name: gw, sectionName: tls}]
              hostnames: [db.example.com, "*.db.example.com"]
              rules:
              - name: main
                backendRefs:
                - {name: db-a, port: 5432, weight: 3}
                - {name: db-b, port: 5432}
            """);

        Assert.Empty(result.Errors);
        var route = Assert.IsType<TlsRoute>(Assert.Single(result.Objects));
        Assert.Equal("tls", Assert.Single(route.Spec.ParentRefs!).SectionName);
        Assert.Equal(["db.example.com", "*.db.example.com"], route.Spec.Hostnames!);
        var rule = Assert.Single(route.Spec.Rules!);
        Assert.Equal("main", rule.Name);
        Assert.Equal(("db-a", 5432, (int?)3), (rule.BackendRefs![0].Name, rule.BackendRefs[0].Port!.Value, rule.BackendRefs[0].Weight));
        Assert.Null(rule.BackendRefs[1].Weight);
        Assert.Single(ResourceSet.From(result.Objects).TlsRoutes);
    }

    [Fact]
    public void Parse_TcpRoute_V1Alpha2_ReadsBackends()
    {
        var result = ManifestLoader.Parse("tcp.yaml", """
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata: {name: echo, namespace: apps}
            spec:
              parentRefs: [{name: gw, port: 9000}]
              rules:
              - backendRefs: [{name: echo, port: 7}]
            """);

        Assert.Empty(result.Errors);
        var route = Assert.IsType<TcpRoute>(Assert.Single(result.Objects));
        Assert.Equal(9000, Assert.Single(route.Spec.ParentRefs!).Port);
        Assert.Null(route.Spec.Hostnames);
        Assert.Equal("echo", Assert.Single(Assert.Single(route.Spec.Rules!).BackendRefs!).Name);
        Assert.Single(ResourceSet.From(result.Objects).TcpRoutes);
    }

    [Fact]
    public void Parse_TcpRouteWithAnUnknownApiVersion_IsIgnoredWithAReason()
    {
        var result = ManifestLoader.Parse("tcp.yaml", """
            apiVersion: gateway.networking.k8s.io/v9
            kind: TCPRoute
            metadata: {name: echo, namespace: apps}
            """);

        Assert.Empty(result.Objects);
        Assert.Contains("unsupported kind TCPRoute", Assert.Single(result.Errors));
    }
}
