using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.DataPlane.Tests.Infrastructure;
using Meshway.Routing.Backends;
using Meshway.Routing.Model;
using static Meshway.DataPlane.Tests.Infrastructure.Snapshots;

namespace Meshway.DataPlane.Tests.Pipeline;

public sealed class HttpsTests
{
    private static X509Certificate2 SelfSigned(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task Sni_SelectsTheListenerCertificate_OverHttp1AndHttp2()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        using var certA = SelfSigned("a.test");
        using var certB = SelfSigned("b.test");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Https, [
                Listener("a", "a.test", [("a.test", [Entry(Rule("ra", new BackendSet([Backend("default/a:80", a.Port)])))])], certA),
                Listener("b", "b.test", [("b.test", [Entry(Rule("rb", new BackendSet([Backend("default/b:80", b.Port)])))])], certB),
            ])]));

        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            foreach (var (name, expected) in new[] { ("a.test", "a"), ("b.test", "b") })
            {
                string? presented = null;
                using var handler = new SocketsHttpHandler
                {
                    UseProxy = false,
                    ConnectCallback = async (_, ct) =>
                    {
                        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                        await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    },
                    SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => { presented = cert?.Subject; return true; } },
                };
                using var client = new HttpClient(handler);
                var request = new HttpRequestMessage(HttpMethod.Get, "https://" + name + ":" + port + "/")
                {
                    Version = version,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                var response = await client.SendAsync(request);

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(version, response.Version);
                Assert.Equal("CN=" + name, presented);
                Assert.Equal(expected, response.Headers.GetValues("X-Backend").Single());
            }
        }

        var seen = a.Seen.First();
        Assert.Equal("https", seen.Headers["X-Forwarded-Proto"]);

        // A connection set up for a.test (SNI) asking for b.test (Host) is misdirected. HttpClient derives
        // SNI from the Host header, so this speaks HTTP/1.1 over a raw SslStream.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("a.test");
            await tls.WriteAsync("GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n"u8.ToArray());
            var reply = await new StreamReader(tls).ReadToEndAsync();
            Assert.StartsWith("HTTP/1.1 421 ", reply);
        }

        Assert.Equal(2, b.Seen.Count); // only the two well-directed requests (h1 + h2) reached b
    }
}
