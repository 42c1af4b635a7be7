using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshway.MeshIntegration.Hbone;
using Meshway.MeshIntegration.Tests.Infrastructure;
using Meshway.Mtls.Identity;

namespace Meshway.MeshIntegration.Tests.Hbone;

/// <summary>HBONE outbound against the Node ztunnel stand-in as the destination pod.</summary>
public sealed class HboneConnectorTests : IAsyncLifetime
{
    private const int EchoPort = 9000;
    private readonly MeshPki _pki = new();
    private IssuedCertificate _waypoint = null!;
    private IssuedCertificate _pod = null!;
    private StandinProcess _dest = null!;
    private string _podAddress = "";
    private HboneConnector _connector = null!;

    public async Task InitializeAsync()
    {
        _waypoint = await _pki.IssueAsync("spiffe://cluster.local/ns/mesh/sa/waypoint");
        _pod = await _pki.IssueAsync("spiffe://cluster.local/ns/shop/sa/reviews");
        (_dest, _podAddress) = await StandinProcess.StartDestinationAsync(_pki, "reviews-1", _pod, "--tcp-echo-port", EchoPort.ToString());
        _connector = new HboneConnector(_pki.Client(_waypoint));
    }

    public async Task DisposeAsync()
    {
        await _connector.DisposeAsync();
        await _dest.DisposeAsync();
        await _pki.DisposeAsync();
    }

    private HboneTarget Target(int port, SpiffeId? identity = null) =>
        new(IPAddress.Parse(_podAddress), port, identity ?? _pod.Identity);

    [Fact]
    public async Task Handler_SendsHttp11ThroughTunnel_DestinationSeesConnectAuthorityAndOurIdentity()
    {
        using var handler = _connector.CreateHandler((host, port) => Target(port));
        using var client = new HttpClient(handler);

        var response = await client.GetAsync($"http://{_podAddress}:8080/reviews/1?x=y");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("reviews-1", echo.RootElement.GetProperty("pod").GetString());
        Assert.Equal("/reviews/1?x=y", echo.RootElement.GetProperty("path").GetString());
        Assert.Equal($"{_podAddress}:8080", echo.RootElement.GetProperty("authority").GetString());
        // The pod's HBONE server saw our workload certificate: identity verified in that direction too.
        Assert.Equal(_waypoint.Identity.ToString(), echo.RootElement.GetProperty("peer").GetString());
    }

    [Fact]
    public async Task ConnectAsync_ManyConcurrentTunnels_ShareOneHttp2Connection()
    {
        var tunnels = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            var stream = await _connector.ConnectAsync(Target(EchoPort));
            var message = Encoding.UTF8.GetBytes($"tunnel {i} says hello");
            await stream.WriteAsync(message);
            await stream.CompleteWritesAsync();
            var back = await ReadToEndAsync(stream);
            await stream.DisposeAsync();
            return (message, back);
        }));

        Assert.All(tunnels, t => Assert.Equal(t.message, t.back));
        Assert.Equal(1, _connector.OpenConnections);
        Assert.Equal(12, _connector.TunnelsOpened);
        Assert.Equal(12, _dest.Lines.Count(l => l.StartsWith($"CONNECT {_podAddress}:{EchoPort} ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ConnectAsync_PayloadLargerThanEveryWindow_ArrivesIntactBothWays()
    {
        // 9 MiB: beyond the 64 KiB default windows, our 4 MiB stream window and half the connection window,
        // so credit must flow back in both directions for the echo to complete.
        var payload = RandomNumberGenerator.GetBytes(9 * 1024 * 1024);
        await using var stream = await _connector.ConnectAsync(Target(EchoPort));

        var reading = ReadToEndAsync(stream);
        for (var offset = 0; offset < payload.Length; offset += 100_000)
        {
            await stream.WriteAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)));
        }

        await stream.CompleteWritesAsync();
        var back = await reading.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(payload.Length, back.Length);
        Assert.True(payload.AsSpan().SequenceEqual(back));
    }

    [Fact]
    public async Task ConnectAsync_ServerWithAnotherIdentity_IsRefusedAtHandshakeAndCounted()
    {
        var expected = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/ratings");

        var error = await Assert.ThrowsAsync<HboneException>(() => _connector.ConnectAsync(Target(EchoPort, expected)).AsTask());

        Assert.Equal(HboneFailure.Handshake, error.Failure);
        Assert.Equal(1, _connector.Failures);
        Assert.Equal(0, _connector.TunnelsOpened);
        Assert.DoesNotContain(_dest.Lines, l => l.StartsWith("CONNECT ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_FailsWithConnect()
    {
        var target = new HboneTarget(IPAddress.Parse(LoopbackAddresses.NextPod()), 80, _pod.Identity, HbonePort: 1);

        var error = await Assert.ThrowsAsync<HboneException>(() => _connector.ConnectAsync(target).AsTask());

        Assert.Equal(HboneFailure.Connect, error.Failure);
    }

    [Fact]
    public async Task ConnectAsync_ExtraHeaders_ReachTheDestination()
    {
        await using var stream = await _connector.ConnectAsync(
            Target(8080), [new("Forwarded", "for=\"127.0.10.1:5555\"")]);
        var request = Encoding.ASCII.GetBytes($"GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);

        var text = Encoding.UTF8.GetString(await ReadToEndAsync(stream));

        Assert.Contains("HTTP/1.1 200", text, StringComparison.Ordinal);
        Assert.Contains("\"forwarded\":\"for=\\\"127.0.10.1:5555\\\"\"", text, StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
