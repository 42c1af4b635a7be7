using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshway.DataPlane.Tests.Infrastructure;
using Meshway.Routing.Backends;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Tests.Streams;

public sealed class StreamProxyTests
{
    private static StreamRoute Route(string name, params LineEchoBackend[] backends) =>
        new(new RouteRef("TLSRoute", "default", name),
            new BackendSet(backends.Select(b => new BackendModel("default/" + b.Name + ":443", 1, [new EndpointModel("127.0.0.1", b.Port)]))));

    private static ListenerModel StreamListener(string name, string? hostname, StreamListenerModel stream, X509Certificate2? certificate = null) =>
        new("default", "gw", name, hostname, HostnameTable<RouteTable>.Empty, certificate, stream);

    private static StreamListenerModel Sni(StreamMode mode, params (string Host, StreamRoute Route)[] routes) =>
        new(mode, new HostnameTable<StreamRoute>(routes.Select(r => new KeyValuePair<string, StreamRoute>(r.Host, r.Route))));

    private static async Task<(SslStream Tls, X509Certificate? Presented)> ConnectTlsAsync(int port, string sni, List<SslApplicationProtocol>? alpn = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate? presented = null;
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = sni,
            ApplicationProtocols = alpn,
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                presented = cert is null ? null : new X509Certificate(cert);
                return true;
            },
        });
        return (tls, presented);
    }

    private static async Task<string> LineAsync(Stream stream, string line)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
        var buffer = new byte[256];
        var text = new StringBuilder();
        while (!text.ToString().EndsWith('\n'))
        {
            var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (n == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString().TrimEnd('\n');
    }

    [Fact]
    public async Task Passthrough_RoutesBySni_AndTheClientSeesTheBackendsOwnCertificate()
    {
        await using var db = LineEchoBackend.Tls("db");
        await using var web = LineEchoBackend.Tls("web");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Tls, [
                StreamListener("tls", null, Sni(StreamMode.TlsPassthrough, ("db.example.com", Route("db", db)), ("*.example.com", Route("web", web)))),
            ])]));

        foreach (var (sni, backend) in new[] { ("db.example.com", db), ("www.example.com", web) })
        {
            var (tls, presented) = await ConnectTlsAsync(port, sni);
            await using (tls)
            {
                Assert.Equal(backend.Certificate!.Subject, presented!.Subject);
                Assert.Equal(backend.Name + ":hello", await LineAsync(tls, "hello"));
            }
        }

        Assert.Contains("meshway_stream_connections_total{mode=\"tls_passthrough\"} 2", host.Metrics.WritePrometheus());
    }

    [Fact]
    public async Task BadClients_AreClosedAndCounted_WhileTheListenerKeepsServing()
    {
        await using var db = LineEchoBackend.Tls("db");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Tls, [
                StreamListener("tls", null, Sni(StreamMode.TlsPassthrough, ("db.example.com", Route("db", db)))),
            ])]));

        // No SNI (a TLS client aimed at an IP address sends none).
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectTlsAsync(port, "127.0.0.1"));
        // Plain text on a TLS listener.
        Assert.Equal(0, await SendRawAndReadAsync(port, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: db.example.com\r\n\r\n"), halfClose: false));
        // A truncated ClientHello, then the client half-closes.
        var hello = await ClientHelloTests.RealClientHelloAsync("db.example.com");
        Assert.Equal(0, await SendRawAndReadAsync(port, hello.AsSpan(0, hello.Length / 2).ToArray(), halfClose: true));
        // An SNI no route serves.
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectTlsAsync(port, "other.example.org"));

        var (tls, _) = await ConnectTlsAsync(port, "db.example.com");
        await using (tls)
        {
            Assert.Equal("db:still-serving", await LineAsync(tls, "still-serving"));
        }

        var metrics = host.Metrics.Streams;
        Assert.Equal((1L, 1L, 1L, 1L), (metrics.Refusals("no_sni"), metrics.Refusals("not_tls"), metrics.Refusals("truncated"), metrics.Refusals("no_listener") + metrics.Refusals("no_route")));
        Assert.Equal(1, db.Accepted);
        Assert.Contains("meshway_stream_refused_total{reason=\"no_sni\"} 1", host.Metrics.WritePrometheus());
    }

    /// <summary>Sends bytes, optionally half-closes, and returns how many bytes came back before the gateway closed.</summary>
    private static async Task<int> SendRawAndReadAsync(int port, byte[] bytes, bool halfClose)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(bytes);
        if (halfClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var total = 0;
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10));
                if (n == 0)
                {
                    return total;
                }

                total += n;
            }
        }
        catch (SocketException)
        {
            return total; // reset instead of FIN: closed all the same
        }
    }

    [Fact]
    public async Task Tcp_SplicesEveryConnection_AndPassesTheClientsHalfCloseOn()
    {
        await using var echo = LineEchoBackend.Plain("echo");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Tcp, [
                StreamListener("tcp", null, new StreamListenerModel(StreamMode.Tcp, HostnameTable<StreamRoute>.Empty, Route("echo", echo))),
            ])]));

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        Assert.Equal("echo:one", await LineAsync(stream, "one"));
        client.Client.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream);
        Assert.Equal("echo:bye", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("meshway_stream_connections_total{mode=\"tcp\"} 1", host.Metrics.WritePrometheus());
    }

    [Fact]
    public async Task MixedPort_PassthroughTerminateAndHttps_AreChosenBySni()
    {
        await using var db = LineEchoBackend.Tls("db");
        await using var mail = LineEchoBackend.Plain("mail");
        await using var web = await TestBackend.StartAsync("web");
        using var mailCert = LineEchoBackend.SelfSigned("mail.example.com");
        using var webCert = LineEchoBackend.SelfSigned("web.example.com");
        var port = Ports.Free();
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(new RoutingSnapshot([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Tls, [
                StreamListener("passthrough", "db.example.com", Sni(StreamMode.TlsPassthrough, ("db.example.com", Route("db", db)))),
                StreamListener("terminate", "mail.example.com", Sni(StreamMode.TlsTerminate, ("mail.example.com", Route("mail", mail))), mailCert),
                Infrastructure.Snapshots.Listener("https", "web.example.com",
                    [("web.example.com", [Infrastructure.Snapshots.Entry(Infrastructure.Snapshots.Rule("web", new BackendSet([Infrastructure.Snapshots.Backend("default/web:80", web.Port)])))])], webCert),
            ])]));

        var (passthrough, dbPresented) = await ConnectTlsAsync(port, "db.example.com");
        await using (passthrough)
        {
            Assert.Equal(db.Certificate!.Subject, dbPresented!.Subject);
            Assert.Equal("db:x", await LineAsync(passthrough, "x"));
        }

        var (terminated, mailPresented) = await ConnectTlsAsync(port, "mail.example.com");
        await using (terminated)
        {
            Assert.Equal(mailCert.Subject, mailPresented!.Subject);
            Assert.Equal(default, terminated.NegotiatedApplicationProtocol);
            Assert.Equal("mail:y", await LineAsync(terminated, "y"));
        }

        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        using var http = new HttpClient(handler);
        var response = await http.GetAsync("https://web.example.com:" + port + "/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("web", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ASnapshotSwap_AppliesToNewConnections_WhileAnOpenOneKeepsItsBackend()
    {
        await using var before = LineEchoBackend.Tls("before");
        await using var after = LineEchoBackend.Tls("after");
        var port = Ports.Free();
        RoutingSnapshot To(LineEchoBackend backend) => new([
            new PortBinding("127.0.0.1", port, ListenerProtocol.Tls, [
                StreamListener("tls", null, Sni(StreamMode.TlsPassthrough, ("db.example.com", Route("db", backend)))),
            ])]);
        await using var host = DataPlaneHost.Create(GatewayFixture.Logs);
        await host.ApplyAsync(To(before));

        var (open, _) = await ConnectTlsAsync(port, "db.example.com");
        await using (open)
        {
            Assert.Equal("before:1", await LineAsync(open, "1"));
            await host.ApplyAsync(To(after));

            var (fresh, _) = await ConnectTlsAsync(port, "db.example.com");
            await using (fresh)
            {
                Assert.Equal("after:2", await LineAsync(fresh, "2"));
            }

            Assert.Equal("before:3", await LineAsync(open, "3"));
        }
    }
}
