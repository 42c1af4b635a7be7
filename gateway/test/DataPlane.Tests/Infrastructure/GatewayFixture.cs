using Meshway.Routing.Model;
using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Tests.Infrastructure;

/// <summary>A data plane running in-process on a random loopback port, plus an HTTP client aimed at it.</summary>
public sealed class GatewayFixture : IAsyncDisposable
{
    private GatewayFixture(DataPlaneHost host, int port)
    {
        Host = host;
        Port = port;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri("http://127.0.0.1:" + port),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public DataPlaneHost Host { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public static ILoggerFactory Logs { get; } = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));

    public static async Task<GatewayFixture> StartAsync(Func<int, RoutingSnapshot> snapshot, ILoggerFactory? logs = null)
    {
        var host = DataPlaneHost.Create(logs ?? Logs, drainTimeout: TimeSpan.FromSeconds(5));
        var port = Ports.Free();
        await host.ApplyAsync(snapshot(port));
        Assert.Contains("127.0.0.1:" + port, host.Listeners.ActiveBindings);
        return new GatewayFixture(host, port);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string host = "example.com")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
