using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Tests.Models;

public sealed class ResourceSetTests
{
    private static ResourceSet Load(string yaml)
    {
        var parsed = ManifestLoader.Parse("t.yaml", yaml);
        Assert.Empty(parsed.Errors);
        return ResourceSet.From(parsed.Objects);
    }

    [Fact]
    public void SlicesOf_FindsSlicesByServiceNameLabelInTheServiceNamespace()
    {
        var set = Load("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: a, namespace: x, labels: {kubernetes.io/service-name: web}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: b, namespace: x, labels: {kubernetes.io/service-name: web}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: c, namespace: y, labels: {kubernetes.io/service-name: web}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: unlabelled, namespace: x}
            """);

        Assert.Equal(["a", "b"], set.SlicesOf("x", "web").Select(s => s.Name));
        Assert.Equal(["c"], set.SlicesOf("y", "web").Select(s => s.Name));
        Assert.Empty(set.SlicesOf("z", "web"));
    }

    [Fact]
    public void Lookups_ByNamespaceAndName_LaterDuplicateWins()
    {
        var set = Load("""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: a}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: a}
            spec: {ports: [{port: 81}]}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: s}
            """);

        Assert.Equal(81, set.FindService("a", "web")!.Spec.Ports![0].Port);
        Assert.Single(set.Services);
        Assert.Null(set.FindService("b", "web"));
        Assert.NotNull(set.FindSecret("default", "s"));
    }

    [Fact]
    public void KindLists_AreSortedByNamespaceThenName()
    {
        var set = Load("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: zeta}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: alpha}
            """);

        Assert.Equal(["alpha", "zeta"], set.Namespaces.Select(n => n.Name));
        Assert.NotNull(set.FindNamespace("zeta"));
    }
}
