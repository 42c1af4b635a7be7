using System.Net;
using System.Text.Json;
using Meshway.DataPlane.Transport;
using Meshway.MeshIntegration.Hbone;
using Meshway.MeshIntegration.Tests.Infrastructure;
using Meshway.MeshIntegration.Transport;
using Meshway.Routing.Backends;

namespace Meshway.MeshIntegration.Tests.Hbone;

/// <summary>The data plane's transport seam with HBONE: ambient endpoints through tunnels, others through the fallback.</summary>
public sealed class HboneBackendTransportTests : IAsyncLifetime
{
    private readonly MeshPki _pki = new();
    private StandinProcess _dest = null!;
    private string _podIp = "";
    private IssuedCertificate _gateway = null!;
    private IssuedCertificate _pod = null!;

    public async Task InitializeAsync()
    {
        _gateway = await _pki.IssueAsync("spiffe://cluster.local/ns/ingress/sa/meshway");
        _pod = await _pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/reviews");
        (_dest, _podIp) = await StandinProcess.StartDestinationAsync(_pki, "reviews-1", _pod);
    }

    public async Task DisposeAsync()
    {
        await _dest.DisposeAsync();
        await _pki.DisposeAsync();
    }

    [Fact]
    public async Task GetInvoker_AmbientEndpoint_ForwardsThroughHboneWithOurIdentity()
    {
        await using var connector = new HboneConnector(_pki.Client(_gateway));
        using var fallback = new PlaintextTransport();
        using var transport = new HboneBackendTransport(fallback, connector, (address, port) =>
            address == _podIp ? new HboneTarget(IPAddress.Parse(address), port, _pod.Identity) : null);
        var endpoint = new EndpointModel(_podIp, 8080);

        var invoker = transport.GetInvoker(endpoint, BackendProtocol.Http1);
        using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://{endpoint.Key}/r"), CancellationToken.None);

        Assert.NotSame(fallback.GetInvoker(endpoint, BackendProtocol.Http1), invoker);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(_gateway.Identity.ToString(), echo.RootElement.GetProperty("peer").GetString());
        Assert.Equal(1, connector.TunnelsOpened);
    }

    [Fact]
    public async Task GetInvoker_NonAmbientEndpoint_UsesTheFallback()
    {
        await using var connector = new HboneConnector(_pki.Client(_gateway));
        using var fallback = new PlaintextTransport();
        using var transport = new HboneBackendTransport(fallback, connector, (_, _) => null);
        var endpoint = new EndpointModel("127.0.0.1", 9);

        Assert.Same(fallback.GetInvoker(endpoint, BackendProtocol.Http1), transport.GetInvoker(endpoint, BackendProtocol.Http1));
    }
}
