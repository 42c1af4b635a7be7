using System.Collections.Immutable;
using System.Net;
using Meshway.DataPlane.Balancing;
using Meshway.DataPlane.Transport;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// RequestMirror: sends a copy of the request to each mirror backend (for its percentage of requests) and
/// drops the answer. Mirrors run in the background and can neither delay nor fail the real request.
/// </summary>
internal sealed partial class MirrorSender(IBackendTransport transport, EndpointBalancer balancer, ILogger logger)
{
    /// <summary>Bodies up to this size are copied to mirrors; larger ones are mirrored without a body.</summary>
    internal const int MaxMirroredBody = 64 * 1024;

    private static readonly TimeSpan MirrorTimeout = TimeSpan.FromSeconds(10);

    public async ValueTask MirrorAsync(HttpContext context, ImmutableArray<RouteFilter> filters, string path, string host)
    {
        byte[]? body = null;
        var bodyRead = false;
        for (var i = 0; i < filters.Length; i++)
        {
            if (filters[i] is not RequestMirrorFilter mirror || Random.Shared.NextDouble() * 100 >= mirror.Percent)
            {
                continue;
            }

            if (mirror.Backend.Invalid)
            {
                continue;
            }

            var endpoint = balancer.Choose(mirror.Backend);
            if (endpoint is null)
            {
                continue;
            }

            if (!bodyRead)
            {
                bodyRead = true;
                body = await ReadSmallBodyAsync(context.Request);
            }

            var message = BuildRequest(context.Request, endpoint.DestinationPrefix, mirror.Backend.Protocol, path, host, body);
            _ = SendAsync(transport.GetInvoker(endpoint.Endpoint, mirror.Backend), message, endpoint, mirror.Backend.Name);
        }
    }

    private static async ValueTask<byte[]?> ReadSmallBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is not { } length || length <= 0 || length > MaxMirroredBody)
        {
            return null;
        }

        // Buffer so the real forward can read the body again from the start.
        request.EnableBuffering(MaxMirroredBody);
        var buffer = new byte[length];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read), request.HttpContext.RequestAborted);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        request.Body.Position = 0;
        return read == buffer.Length ? buffer : buffer[..read];
    }

    private static HttpRequestMessage BuildRequest(HttpRequest request, string destinationPrefix, BackendProtocol protocol, string path, string host, byte[]? body)
    {
        var uri = new Uri(destinationPrefix.TrimEnd('/') + new PathString(path).ToUriComponent() + request.QueryString.ToUriComponent());
        var message = new HttpRequestMessage(new HttpMethod(request.Method), uri)
        {
            Version = protocol == BackendProtocol.H2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = protocol == BackendProtocol.H2c ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (IsHopOrHost(name))
            {
                continue;
            }

            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                continue;
            }

            message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }

        message.Headers.Host = host;
        return message;
    }

    private static bool IsHopOrHost(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(':');

    private async Task SendAsync(HttpMessageInvoker invoker, HttpRequestMessage message, EndpointState endpoint, string backend)
    {
        endpoint.Begin();
        try
        {
            using var timeout = new CancellationTokenSource(MirrorTimeout);
            using var response = await invoker.SendAsync(message, timeout.Token);
        }
        catch (Exception ex)
        {
            LogMirrorFailed(logger, backend, endpoint.Endpoint.Key, ex.Message);
        }
        finally
        {
            endpoint.End();
            message.Dispose();
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Mirror to backend {Backend} endpoint {Endpoint} failed: {Detail}")]
    private static partial void LogMirrorFailed(ILogger logger, string backend, string endpoint, string detail);
}
