using System.Text.Json.Nodes;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Matching;
using Meshway.Waypoint.Gamma;
using Meshway.Waypoint.Model;

namespace Meshway.Waypoint.Tests.Gamma;

/// <summary>Waypoint selection and GAMMA binding as pure translation: which Service ports are served, with which tables, and what status says.</summary>
public sealed class WaypointTranslatorTests
{
    private const string Waypoint = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway-waypoint}
        spec: {controllerName: meshway.dev/waypoint-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: wp, namespace: shop}
        spec:
          gatewayClassName: meshway-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        """;

    private static WaypointTranslationResult Translate(string yaml)
    {
        var parsed = ManifestLoader.Parse("t.yaml", yaml);
        Assert.Empty(parsed.Errors);
        return WaypointTranslator.Translate(ResourceSet.From(parsed.Objects), new WaypointTranslationOptions());
    }

    private static string Service(string name, string ns, string vip, string labels = "{}") => "\n" + $$"""
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: {{name}}, namespace: {{ns}}, labels: {{labels}}}
        spec: {clusterIP: {{vip}}, ports: [{name: http, port: 80}, {name: tcp-db, port: 5432}]}
        """;

    private static JsonObject StatusOf(WaypointTranslationResult result, string kind, string name) =>
        result.Status.Items.Single(i => i.Kind == kind && i.Name == name).Status;

    [Fact]
    public void NamespaceLabel_BindsItsServices_ServiceLabelNoneOptsOut()
    {
        var result = Translate(Waypoint + """

            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/use-waypoint: wp}}
            """ + Service("a", "shop", "10.0.0.1") + Service("b", "shop", "10.0.0.2", "{istio.io/use-waypoint: none}"));

        Assert.Equal(["10.0.0.1:5432", "10.0.0.1:80"], result.Snapshot.Services.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ServiceProtocol.Http, result.Snapshot.Services["10.0.0.1:80"].Protocol);
        Assert.Equal(ServiceProtocol.Tcp, result.Snapshot.Services["10.0.0.1:5432"].Protocol);
        Assert.Equal("shop/wp", result.Snapshot.Services["10.0.0.1:80"].Waypoint);
    }

    [Fact]
    public void ServiceInAnotherNamespace_IsServedOnlyWhenTheListenerAllowsIt()
    {
        var other = Service("a", "other", "10.0.0.1", "{istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: shop}");

        var same = Translate(Waypoint + other);
        var all = Translate(Waypoint.Replace("protocol: HBONE}", "protocol: HBONE, allowedRoutes: {namespaces: {from: All}}}") + other);

        Assert.Empty(same.Snapshot.Services);
        Assert.Equal(2, all.Snapshot.Services.Count);
    }

    [Fact]
    public void WaypointForWorkload_ServesNoServices()
    {
        var result = Translate(Waypoint.Replace("metadata: {name: wp, namespace: shop}", "metadata: {name: wp, namespace: shop, labels: {istio.io/waypoint-for: workload}}")
            + Service("a", "shop", "10.0.0.1", "{istio.io/use-waypoint: wp}"));

        Assert.Empty(result.Snapshot.Services);
    }

    [Fact]
    public void GatewayWithoutHboneListener_IsNotAcceptedAndHasNoAddresses()
    {
        var result = Translate(Waypoint.Replace("protocol: HBONE", "protocol: HTTP"));

        var status = StatusOf(result, "Gateway", "wp");
        Assert.Empty(status["addresses"]!.AsArray());
        var accepted = status["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted")!;
        Assert.Equal("False", (string?)accepted["status"]);
        Assert.Equal("ListenersNotValid", (string?)accepted["reason"]);
        Assert.Empty(result.Listeners);
    }

    [Fact]
    public void AcceptedWaypoint_PublishesItsAddressInStatus()
    {
        var result = Translate(Waypoint);

        var address = StatusOf(result, "Gateway", "wp")["addresses"]!.AsArray().Single()!;
        Assert.Equal("0.0.0.0", (string?)address["value"]);
        Assert.Equal(15008, Assert.Single(result.Listeners).Port);
    }

    [Fact]
    public void ProducerAndConsumerRoutes_LandInTheirTables_NoRouteMeansPassThrough()
    {
        var result = Translate(Waypoint + Service("a", "shop", "10.0.0.1", "{istio.io/use-waypoint: wp}") + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: producer, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: a, port: 80}]
              rules: [{matches: [{path: {type: Exact, value: /p}}], backendRefs: [{name: a, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: consumer, namespace: client}
            spec:
              parentRefs: [{group: "", kind: Service, name: a, namespace: shop}]
              rules: [{matches: [{path: {type: Exact, value: /c}}]}]
            """);

        var http = result.Snapshot.Services["10.0.0.1:80"];
        Assert.Equal("producer", Assert.Single(http.Producer.Entries).Rule.Route.Name);
        Assert.Equal("consumer", Assert.Single(http.TableFor("client").Entries).Rule.Route.Name);
        Assert.Same(http.Producer, http.TableFor("elsewhere"));

        // The producer route names port 80 only: port 5432 has no route, so traffic passes to the Service.
        var db = result.Snapshot.Services["10.0.0.1:5432"];
        var passThrough = Assert.Single(db.Producer.Entries);
        Assert.Equal("Service", passThrough.Rule.Route.Kind);
    }

    [Fact]
    public void RouteToMissingServicePort_IsNotAcceptedWithNoMatchingParent()
    {
        var result = Translate(Waypoint + Service("a", "shop", "10.0.0.1", "{istio.io/use-waypoint: wp}") + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: a, port: 81}]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            """);

        var parent = StatusOf(result, "HTTPRoute", "r")["parents"]!.AsArray().Single()!;
        Assert.Equal("meshway.dev/waypoint-controller", (string?)parent["controllerName"]);
        var accepted = parent["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted")!;
        Assert.Equal("False", (string?)accepted["status"]);
        Assert.Equal("NoMatchingParent", (string?)accepted["reason"]);
        Assert.Equal("Service", Assert.Single(result.Snapshot.Services["10.0.0.1:80"].Producer.Entries).Rule.Route.Kind);
    }

    [Fact]
    public void RouteForAServiceOfNoWaypointOfOurs_GetsNoStatusFromUs()
    {
        var result = Translate(Waypoint + Service("a", "shop", "10.0.0.1") + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: a}]
            """);

        Assert.DoesNotContain(result.Status.Items, i => i.Kind == "HTTPRoute");
    }

    [Fact]
    public void AmbientPods_AreKnownWithTheirServiceAccountIdentity()
    {
        var result = Translate("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p1, namespace: shop}
            spec: {serviceAccountName: reviews}
            status: {podIP: 10.1.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p2, namespace: shop, labels: {istio.io/dataplane-mode: none}}
            status: {podIP: 10.1.0.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p3, namespace: plain, annotations: {ambient.istio.io/redirection: enabled}}
            status: {podIP: 10.1.0.3}
            """);

        var workloads = result.Snapshot.Workloads;
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/reviews", workloads["10.1.0.1"].Identity.ToString());
        Assert.True(workloads["10.1.0.1"].Ambient);
        Assert.False(workloads["10.1.0.2"].Ambient);
        Assert.True(workloads["10.1.0.3"].Ambient);
        Assert.Equal("spiffe://cluster.local/ns/plain/sa/default", workloads["10.1.0.3"].Identity.ToString());
    }

    [Fact]
    public void GrpcRouteWithServiceParent_IsAcceptedAndRoutesTheServicePort()
    {
        var result = Translate(Waypoint + Service("a", "shop", "10.0.0.1", "{istio.io/use-waypoint: wp}") + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: g, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: a, port: 80}, {group: "", kind: Service, name: a, port: 81}]
              rules:
              - matches: [{method: {service: echo.Echo, method: Unary}}]
                backendRefs: [{name: a, port: 80}]
            """);

        var parents = StatusOf(result, "GRPCRoute", "g")["parents"]!.AsArray();
        var accepted = parents.Select(p => (string?)p!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted")!["reason"]).ToList();
        Assert.Equal(["Accepted", "NoMatchingParent"], accepted);
        var target = result.Snapshot.Services["10.0.0.1:80"];
        var entry = Assert.Single(target.Producer.Entries);
        Assert.Equal(Meshway.Routing.Backends.BackendProtocol.H2c, entry.Rule.Backends.Backends.Single().Protocol);
    }

    [Theory]
    [InlineData("service", null)]
    [InlineData("none", null)]
    [InlineData("workload", "shop/wp")]
    [InlineData("all", "shop/wp")]
    public void WaypointFor_BindsAmbientPodsOnlyForWorkloadOrAll(string waypointFor, string? expected)
    {
        var result = Translate(Waypoint.Replace("metadata: {name: wp, namespace: shop}", $"metadata: {{name: wp, namespace: shop, labels: {{istio.io/waypoint-for: {waypointFor}}}}}") + """

            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/use-waypoint: wp, istio.io/dataplane-mode: ambient}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p1, namespace: shop}
            status: {podIP: 10.1.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p2, namespace: shop, labels: {istio.io/use-waypoint: none}}
            status: {podIP: 10.1.0.2}
            """);

        Assert.Equal(expected, result.Snapshot.Workloads["10.1.0.1"].Waypoint);
        Assert.Null(result.Snapshot.Workloads["10.1.0.2"].Waypoint);
        var target = result.Snapshot.FindWorkload("10.1.0.1:8080", "shop/wp");
        Assert.Equal(expected is not null, target is not null);
        Assert.Null(result.Snapshot.FindWorkload("10.1.0.2:8080", "shop/wp"));
    }

    [Theory]
    [InlineData("PROXY/15088", 15088)]
    [InlineData("PROXY/0", null)]
    [InlineData("PROXY/65536", null)]
    [InlineData("PROXY/+1", null)]
    [InlineData("HBONE/15008", null)]
    [InlineData("proxy/15088", null)]
    public void InboundBindingAnnotation_OnlyProxyWithAValidPortOpensTheSandwichPort(string value, int? expected)
    {
        var result = Translate(Waypoint.Replace("metadata: {name: wp, namespace: shop}",
            $"metadata: {{name: wp, namespace: shop, annotations: {{ambient.istio.io/waypoint-inbound-binding: \"{value}\"}}}}"));

        Assert.Equal(expected, Assert.Single(result.Listeners).ProxyPort);
    }
}
