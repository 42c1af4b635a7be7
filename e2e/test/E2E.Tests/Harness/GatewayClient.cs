using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// HttpClient aimed at one gateway address whatever the URL's host says (like curl --resolve), so tests
/// send real Host headers and SNI names while every connection lands on the gateway under test.
/// Redirects are not followed, proxies and cookies are off: the test sees exactly what the gateway answered.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _address;

    public GatewayClient(string address)
    {
        _address = address;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                // Test certificates are self-signed; the SNI test checks which one was served separately.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    public string Address => _address;

    /// <summary>GET (or <paramref name="method"/>) http(s)://host:port/pathAndQuery with extra headers.</summary>
    public Task<Reply> SendAsync(
        string host,
        int port,
        string pathAndQuery,
        string method = "GET",
        IEnumerable<(string Name, string Value)>? headers = null,
        bool https = false,
        Version? version = null,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), $"{(https ? "https" : "http")}://{host}:{port}{pathAndQuery}");
        if (version is not null)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return SendAsync(request, cancellationToken);
    }

    public async Task<Reply> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        using (request)
        {
            using var response = await _client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return Reply.From(response, body);
        }
    }

    /// <summary>Opens a TLS connection with SNI <paramref name="sni"/> and returns the certificate the gateway served.</summary>
    public async Task<X509Certificate2> ServerCertificateAsync(string sni, int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Parse(_address), port);
        X509Certificate2? served = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            served = certificate is null ? null : new X509Certificate2(certificate);
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = sni });
        return served ?? throw new InvalidOperationException("no server certificate for SNI " + sni);
    }

    /// <summary>Opens a WebSocket through the gateway (HTTP/1.1 Upgrade) to ws://host:port/path.</summary>
    public async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string host, int port, string path, CancellationToken cancellationToken = default)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, ConnectCallback = ConnectAsync });
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{host}:{port}{path}"), invoker, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(_address), context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A response as the client saw it; <see cref="Echo"/> is set when the body came from the echo backend.</summary>
public sealed class Reply
{
    private Reply(int status, Version version, Dictionary<string, string> headers, string body, EchoRequest? echo)
    {
        Status = status;
        Version = version;
        Headers = headers;
        Body = body;
        Echo = echo;
    }

    public int Status { get; }

    public Version Version { get; }

    /// <summary>Response and content headers; repeated values joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    public string Body { get; }

    public EchoRequest? Echo { get; }

    /// <summary>The echo answer; fails the test with the status and body when the backend was not reached.</summary>
    public EchoRequest Echoed => Echo ?? throw new Xunit.Sdk.XunitException($"expected an echo backend answer, got {this}");

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public Uri? Location => Header("location") is { } location ? new Uri(location, UriKind.RelativeOrAbsolute) : null;

    public override string ToString() => $"{Status} HTTP/{Version} {string.Join("; ", Headers.Select(h => h.Key + ": " + h.Value))} body={(Body.Length > 400 ? Body[..400] + "…" : Body)}";

    public static Reply From(HttpResponseMessage response, string body)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers)
        {
            headers[name] = string.Join(", ", values);
        }

        foreach (var (name, values) in response.Content.Headers)
        {
            headers[name] = string.Join(", ", values);
        }

        EchoRequest? echo = null;
        if (body.StartsWith('{') && body.Contains("\"backend\"", StringComparison.Ordinal))
        {
            try
            {
                echo = EchoRequest.From(JsonNode.Parse(body)!.AsObject());
            }
            catch (JsonException)
            {
                // Not an echo answer after all.
            }
        }

        return new Reply((int)response.StatusCode, response.Version, headers, body, echo);
    }
}
