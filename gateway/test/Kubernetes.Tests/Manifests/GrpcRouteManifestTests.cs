using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Tests.Manifests;

public sealed class GrpcRouteManifestTests
{
    [Theory]
    [InlineData("gateway.networking.k8s.io/v1")]
    [InlineData("gateway.networking.k8s.io/v1alpha2")]
    public void Parse_GrpcRoute_ReadsMethodHeaderFilterAndBackendFields(string apiVersion)
    {
        var result = ManifestLoader.Parse("grpc.yaml", $$"""
            apiVersion: {{apiVersion}}
            kind: GRPCRoute
            metadata: {name: echo, namespace: apps}
            spec:
              parentRefs: [{name: gw, sectionName: h2c}]
              hostnames: [grpc.example.com]
              rules:
              - name: unary
                matches:
                - method: {type: RegularExpression, service: "echo\\..*", method: Unary}
                  headers: [{name: x-tenant, value: blue}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: {set: [{name: x-a, value: "1"}]}
                backendRefs:
                - {name: echo, port: 50051, weight: 3}
            """);

        Assert.Empty(result.Errors);
        var route = Assert.IsType<GrpcRoute>(Assert.Single(result.Objects));
        Assert.Equal("apps", route.Namespace);
        Assert.Equal("h2c", Assert.Single(route.Spec.ParentRefs!).SectionName);
        var rule = Assert.Single(route.Spec.Rules!);
        Assert.Equal("unary", rule.Name);
        var match = Assert.Single(rule.Matches!);
        Assert.Equal(("RegularExpression", "echo\\..*", "Unary"), (match.Method!.Type, match.Method.Service, match.Method.Method));
        Assert.Equal("x-tenant", Assert.Single(match.Headers!).Name);
        Assert.Equal("x-a", Assert.Single(rule.Filters!).RequestHeaderModifier!.Set![0].Name);
        Assert.Equal((50051, 3), (rule.BackendRefs![0].Port, rule.BackendRefs[0].Weight));
        Assert.Single(ResourceSet.From(result.Objects).GrpcRoutes);
    }
}
