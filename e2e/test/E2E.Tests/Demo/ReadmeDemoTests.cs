using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Meshway.E2E.Tests.Harness;
using Xunit.Abstractions;

namespace Meshway.E2E.Tests.Demo;

/// <summary>
/// Acceptance 1: README command 1 (`./meshway demo`) then the documented curl gives a routed answer.
/// The demo uses fixed ports (127.0.0.1:8080, 9081, 9082), so this class waits for them to be free
/// instead of racing another demo on the machine.
/// </summary>
public sealed class ReadmeDemoTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] DemoPorts = [8080, 9081, 9082];
    private GatewayProcess? _demo;

    [Fact]
    public async Task Readme_demo_serves_the_documented_routes()
    {
        await WaitForFreePortsAsync();
        _demo = await GatewayProcess.StartCommandAsync(["demo"], TimeSpan.FromSeconds(90), viaLauncher: true);

        // The README's curl, verbatim apart from -sS.
        var echo = await CurlDemoAsync("/echo");
        Assert.True(echo.ExitCode == 0, echo.ToString());
        Assert.Equal(200, echo.Status);
        Assert.Contains("x-served-by: meshway", echo.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Demo", echo.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("echo-v", echo.Body, StringComparison.Ordinal);

        var rewritten = await CurlDemoAsync("/v2/hello");
        Assert.Equal(200, rewritten.Status);
        Assert.Contains("echo-v2", rewritten.Body, StringComparison.Ordinal);
        Assert.Contains("\"/hello\"", rewritten.Body, StringComparison.Ordinal);

        var redirect = await CurlDemoAsync("/old/page");
        Assert.Equal(301, redirect.Status);
        Assert.Contains("/echo/page", redirect.Headers, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_demo is not null)
        {
            output.WriteLine(_demo.Logs());
            _demo.Dispose();
        }
    }

    private static Task<Curl.Result> CurlDemoAsync(string path) =>
        Curl.RunAsync("127.0.0.1", "127.0.0.1", 8080, path, false, "-H", "Host: demo.example.com");

    private static async Task WaitForFreePortsAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var busy = DemoPorts.Where(p => !IsFree(p)).ToList();
            if (busy.Count == 0)
            {
                return;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new Xunit.Sdk.XunitException($"the demo's fixed ports {string.Join(", ", busy)} on 127.0.0.1 stayed in use for 60 s (another demo running?)");
            }

            await Task.Delay(500);
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
