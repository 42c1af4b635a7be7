using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.MeshIntegration.Hbone;
using Meshway.MeshIntegration.Tests.Infrastructure;
using Meshway.Mtls.Tls;
using Meshway.Mtls.Trust;
using Meshway.Waypoint.Gamma;
using Meshway.Waypoint.Inbound;
using Meshway.Waypoint.Model;
using Meshway.Waypoint.Outbound;
using Microsoft.Extensions.Logging;

namespace Meshway.Waypoint.Tests.Infrastructure;

/// <summary>
/// A small ambient mesh on loopback: Node ztunnel stand-ins as destination pods (127.0.10.x:15008) and
/// as the source pod, the waypoint (HBONE inbound, GAMMA routes, HBONE outbound) in-process on its own
/// 127.0.10.x:15008, Service VIPs in 127.0.20.x. Certificates come from the mtls dev CA; a second CA
/// of another trust domain provides a foreign client.
/// </summary>
public sealed class WaypointFixture : IAsyncLifetime
{
    public MeshPki Pki { get; } = new();

    public MeshPki Foreign { get; } = new("other.domain");

    public IssuedCertificate WaypointCert { get; private set; } = null!;

    public IssuedCertificate SourceCert { get; private set; } = null!;

    public IssuedCertificate ConsumerCert { get; private set; } = null!;

    public IssuedCertificate ForeignCert { get; private set; } = null!;

    public string WaypointIp { get; private set; } = "";

    public string ReviewsVip { get; } = LoopbackAddresses.NextVip();

    public string ReviewsV2Vip { get; } = LoopbackAddresses.NextVip();

    public string RatingsVip { get; } = LoopbackAddresses.NextVip();

    public string DetailsVip { get; } = LoopbackAddresses.NextVip();

    public string GrpcVip { get; } = LoopbackAddresses.NextVip();

    public string GrpcBVip { get; } = LoopbackAddresses.NextVip();

    public string V1Ip { get; private set; } = "";

    public string V2Ip { get; private set; } = "";

    public string RatingsIp { get; private set; } = "";

    public WaypointTranslationResult Translation { get; private set; } = null!;

    public HboneInboundServer Server { get; private set; } = null!;

    public HboneConnector Connector { get; private set; } = null!;

    public StandinProcess V1 { get; private set; } = null!;

    public StandinProcess V2 { get; private set; } = null!;

    private StandinProcess _ratings = null!;
    private GrpcPeer? _grpcA;
    private GrpcPeer? _grpcB;
    private StandinProcess _source = null!;
    private WaypointTransport _transport = null!;
    private TrustBundleSource _trust = null!;
    private readonly HttpClient _control = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly Microsoft.Extensions.Logging.ILoggerFactory _loggers = TestLogging.Create();

    public async Task InitializeAsync()
    {
        WaypointCert = await Pki.IssueAsync("spiffe://cluster.local/ns/mesh/sa/waypoint");
        SourceCert = await Pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/productpage");
        ConsumerCert = await Pki.IssueAsync("spiffe://cluster.local/ns/frontend/sa/web");
        ForeignCert = await Foreign.IssueAsync("spiffe://other.domain/ns/shop/sa/productpage");
        var v1 = await Pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/reviews");
        var v2 = await Pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/reviews-v2");
        var impostor = await Pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/impostor");
        // gRPC apps behind the pods: the stand-in pipes CONNECTs to port 50051 into them, as ztunnel delivers to a pod's app.
        _grpcA = await GrpcPeer.StartServerAsync("grpc-a");
        _grpcB = await GrpcPeer.StartServerAsync("grpc-b");
        (V1, V1Ip) = await StandinProcess.StartDestinationAsync(
            Pki, "reviews-v1", v1, "--tcp-echo-port", "9000", "--forward-port", $"50051=127.0.0.1:{_grpcA.Port}");
        (V2, V2Ip) = await StandinProcess.StartDestinationAsync(Pki, "reviews-v2", v2, "--forward-port", $"50051=127.0.0.1:{_grpcB.Port}");
        (_ratings, RatingsIp) = await StandinProcess.StartDestinationAsync(Pki, "ratings-1", impostor);
        _source = await StandinProcess.StartAsync(["source", "--cert", SourceCert.CertPath, "--key", SourceCert.KeyPath, "--ca", Pki.RootPath]);

        var parsed = ManifestLoader.Parse("mesh.yaml", Manifests());
        Assert.Empty(parsed.Errors);

        // The waypoint trusts both roots, so only the trust-domain rule can refuse the foreign client.
        _trust = TrustBundleSource.FromBundle(TrustBundle.FromPem(Pki.Ca.RootPem + Foreign.Ca.RootPem, "test"));
        var tls = new MeshTlsServer(WaypointCert.Manager, _trust, "cluster.local", [SslApplicationProtocol.Http2]);
        var store = new WaypointStore();
        Connector = new HboneConnector(Pki.Client(WaypointCert), _loggers.CreateLogger<HboneConnector>());
        _transport = new WaypointTransport(store, Connector);
        for (var attempt = 0; ; attempt++)
        {
            WaypointIp = LoopbackAddresses.NextPod();
            Translation = WaypointTranslator.Translate(
                ResourceSet.From(ManifestLoader.Parse("mesh.yaml", Manifests()).Objects),
                new WaypointTranslationOptions());
            store.Publish(Translation.Snapshot);
            Server = new HboneInboundServer(Assert.Single(Translation.Listeners), store, tls, _transport, _loggers);
            try
            {
                await Server.StartAsync();
                break;
            }
            catch (IOException) when (attempt < 5)
            {
                await Server.DisposeAsync(); // address in use: another 127.0.10.x
            }
        }
    }

    /// <summary>Asks the source stand-in to send one request through HBONE; returns its JSON verdict.</summary>
    public async Task<JsonElement> SendAsync(object request)
    {
        using var response = await _control.PostAsJsonAsync($"http://127.0.0.1:{_source.Port}/send", request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    /// <summary>The usual request: to the waypoint, expecting its identity, for a Service VIP:port.</summary>
    public Task<JsonElement> GetAsync(string vip, int port, string path, Dictionary<string, string>? headers = null, IssuedCertificate? as_ = null) =>
        SendAsync(new
        {
            hbone = WaypointIp + ":15008",
            expectSan = WaypointCert.Identity.ToString(),
            authority = vip + ":" + port,
            method = "GET",
            path,
            headers = headers ?? [],
            cert = as_?.CertPath,
            key = as_?.KeyPath,
        });

    /// <summary>
    /// A local plain-TCP port whose connections the source stand-in carries as HBONE CONNECTs to the waypoint
    /// for <paramref name="vip"/>:<paramref name="port"/> (ztunnel's outbound capture), for clients like grpc-js.
    /// </summary>
    public async Task<int> ForwardAsync(string vip, int port)
    {
        using var response = await _control.PostAsJsonAsync($"http://127.0.0.1:{_source.Port}/forward", new
        {
            hbone = WaypointIp + ":15008",
            expectSan = WaypointCert.Identity.ToString(),
            authority = vip + ":" + port,
        });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("port").GetInt32();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _transport.Dispose();
        await Connector.DisposeAsync();
        foreach (var process in new[] { _source, V1, V2, _ratings })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        foreach (var peer in new[] { _grpcA, _grpcB })
        {
            if (peer is not null)
            {
                await peer.DisposeAsync();
            }
        }

        _control.Dispose();
        await Pki.DisposeAsync();
        await Foreign.DisposeAsync();
    }

    private string Manifests() => $$$$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: meshway-waypoint}
        spec: {controllerName: meshway.dev/waypoint-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: waypoint
          namespace: mesh
          labels: {istio.io/waypoint-for: all}
          annotations: {ambient.istio.io/waypoint-inbound-binding: PROXY/15088}
        spec:
          gatewayClassName: meshway-waypoint
          addresses: [{type: IPAddress, value: "{{{{WaypointIp}}}}"}]
          listeners:
          - {name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {namespaces: {from: All}}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint, istio.io/use-waypoint-namespace: mesh}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec:
          clusterIP: {{{{ReviewsVip}}}}
          ports:
          - {name: http, port: 9080, targetPort: 8080}
          - {name: tcp-echo, port: 9090, targetPort: 9000}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews-v2, namespace: shop}
        spec:
          clusterIP: {{{{ReviewsV2Vip}}}}
          ports: [{name: http, port: 9080, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: shop}
        spec:
          clusterIP: {{{{RatingsVip}}}}
          ports: [{name: http, port: 9080, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: details, namespace: shop, labels: {istio.io/use-waypoint: none}}
        spec:
          clusterIP: {{{{DetailsVip}}}}
          ports: [{name: http, port: 9080, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo-grpc, namespace: shop}
        spec:
          clusterIP: {{{{GrpcVip}}}}
          ports: [{name: grpc, port: 50051, targetPort: 50051, appProtocol: kubernetes.io/h2c}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo-grpc-b, namespace: shop}
        spec:
          clusterIP: {{{{GrpcBVip}}}}
          ports: [{name: grpc, port: 50051, targetPort: 50051, appProtocol: kubernetes.io/h2c}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: echo-grpc-1, namespace: shop, labels: {kubernetes.io/service-name: echo-grpc}}
        addressType: IPv4
        ports: [{name: grpc, port: 50051, appProtocol: kubernetes.io/h2c}]
        endpoints: [{addresses: ["{{{{V1Ip}}}}"]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: echo-grpc-b-1, namespace: shop, labels: {kubernetes.io/service-name: echo-grpc-b}}
        addressType: IPv4
        ports: [{name: grpc, port: 50051, appProtocol: kubernetes.io/h2c}]
        endpoints: [{addresses: ["{{{{V2Ip}}}}"]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: echo-grpc, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo-grpc, port: 50051}]
          rules:
          - matches: [{method: {service: echo.Echo, method: Stream}}]
            backendRefs: [{name: echo-grpc-b, port: 50051}]
          - matches: [{method: {service: echo.Echo, method: Unary}}]
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-mesh, value: waypoint}]}}]
            backendRefs: [{name: echo-grpc, port: 50051}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-1, namespace: shop, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: 8080}, {name: tcp-echo, port: 9000}]
        endpoints: [{addresses: ["{{{{V1Ip}}}}"]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-v2-1, namespace: shop, labels: {kubernetes.io/service-name: reviews-v2}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["{{{{V2Ip}}}}"]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ratings-1, namespace: shop, labels: {kubernetes.io/service-name: ratings}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["{{{{RatingsIp}}}}"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: shop}
        spec: {serviceAccountName: reviews}
        status: {podIP: "{{{{V1Ip}}}}"}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2, namespace: shop}
        spec: {serviceAccountName: reviews-v2}
        status: {podIP: "{{{{V2Ip}}}}"}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: ratings-1, namespace: shop, labels: {istio.io/use-waypoint: none}}
        spec: {serviceAccountName: ratings}
        status: {podIP: "{{{{RatingsIp}}}}"}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
          rules:
          - name: v2-by-header
            matches: [{headers: [{name: x-version, value: v2}]}]
            backendRefs: [{name: reviews-v2, port: 9080}]
          - matches: [{path: {type: PathPrefix, value: /split}}]
            backendRefs: [{name: reviews, port: 9080, weight: 1}, {name: reviews-v2, port: 9080, weight: 1}]
          - matches: [{path: {type: PathPrefix, value: /redirect}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.com, statusCode: 301}}]
          - matches: [{path: {type: Exact, value: /headers}}]
            filters:
            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-mesh, value: waypoint}], remove: [x-drop]}}
            - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: x-resp, value: "yes"}]}}
            backendRefs: [{name: reviews, port: 9080}]
          - matches: [{path: {type: PathPrefix, value: /mirror}}]
            filters: [{type: RequestMirror, requestMirror: {backendRef: {name: reviews-v2, port: 9080}}}]
            backendRefs: [{name: reviews, port: 9080}]
          - matches: [{path: {type: PathPrefix, value: /old}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]
            backendRefs: [{name: reviews, port: 9080}]
          - matches: [{path: {type: PathPrefix, value: /}, queryParams: [{name: Version, value: v2}]}]
            backendRefs: [{name: reviews-v2, port: 9080}]
          - backendRefs: [{name: reviews, port: 9080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: reviews-for-frontend, namespace: frontend}
        spec:
          parentRefs: [{group: "", kind: Service, name: reviews, namespace: shop}]
          rules:
          - backendRefs: [{name: reviews-v2, namespace: shop, port: 9080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: frontend-to-shop, namespace: shop}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: frontend}]
          to: [{group: "", kind: Service}]
        """;
}
