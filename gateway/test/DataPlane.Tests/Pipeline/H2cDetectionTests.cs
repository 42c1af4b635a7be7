using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Meshway.DataPlane.Tests.Infrastructure;
using static Meshway.DataPlane.Tests.Infrastructure.Snapshots;

namespace Meshway.DataPlane.Tests.Pipeline;

public sealed class H2cDetectionTests
{
    [Fact]
    public async Task SilentOrClosedConnections_DoNotDisturbTheListener_AndTinyHttp1RequestsAreServed()
    {
        await using var a = await TestBackend.StartAsync("a");
        var logs = new CapturingLogs();
        using var factory = logs.CreateFactory();
        await using var gw = await GatewayFixture.StartAsync(port => Http(port,
            Entry(Rule("r", new Routing.Backends.BackendSet([Backend("default/a:80", a.Port)])))), factory);

        // Connect and close (FIN) or reset (RST) without a byte, several times.
        for (var i = 0; i < 6; i++)
        {
            using var silent = new TcpClient();
            await silent.ConnectAsync(IPAddress.Loopback, gw.Port);
            if (i % 2 == 0)
            {
                silent.LingerState = new LingerOption(true, 0);
            }

            await Task.Delay(20);
        }

        // An HTTP/1.0 request shorter than the HTTP/2 preface (24 bytes) must not wait for more bytes.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = tcp.GetStream();
        var request = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        Assert.True(request.Length < 24);
        await stream.WriteAsync(request);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var reply = await new StreamReader(stream, Encoding.ASCII).ReadToEndAsync(cts.Token);
        Assert.StartsWith("HTTP/1.1 200", reply);

        Assert.Equal(HttpStatusCode.OK, (await gw.GetAsync("/")).StatusCode);
        await Task.Delay(100); // let the closed connections finish on the server side
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Error);
    }
}
