using System.Diagnostics;
using System.Net;
using Meshway.DataPlane.Balancing;
using Meshway.DataPlane.Filters;
using Meshway.DataPlane.Listeners;
using Meshway.DataPlane.Metrics;
using Meshway.DataPlane.Snapshots;
using Meshway.DataPlane.Transport;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Model;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// The one terminal request handler of every gateway listener. It reads the snapshot once and keeps it for
/// the whole request, so a config swap never changes a request halfway.
/// </summary>
internal sealed partial class GatewayPipeline
{
    private static readonly ForwarderRequestConfig Http1Config = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    private static readonly ForwarderRequestConfig H2cConfig = new()
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private readonly SnapshotStore _store;
    private readonly IHttpForwarder _forwarder;
    private readonly IBackendTransport _transport;
    private readonly EndpointBalancer _balancer;
    private readonly GatewayMetrics _metrics;
    private readonly MirrorSender _mirrors;
    private readonly ILogger _logger;

    public GatewayPipeline(
        SnapshotStore store,
        IHttpForwarder forwarder,
        IBackendTransport transport,
        EndpointBalancer balancer,
        GatewayMetrics metrics,
        ILogger<GatewayPipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(transport);
        _store = store;
        _forwarder = forwarder;
        _transport = transport;
        _balancer = balancer;
        _metrics = metrics;
        _logger = logger;
        _mirrors = new MirrorSender(transport, balancer, logger);
    }

    /// <summary>
    /// Serves one request that arrived on the socket <paramref name="slot"/>:
    /// 1. binding of this socket in the current snapshot -> listener by Host (over TLS, it must be the listener
    ///    the SNI chose, else 421) -> route table by Host -> entry by match (a miss at any step is a 404);
    /// 2. a redirect rule answers with its Location;
    /// 3. rule filters in order (request headers, URL rewrite; response headers are applied on the way back);
    /// 4. a backend by weight (none or invalid: 500; no endpoints: 503), then its own filters;
    /// 5. mirrors get a copy (fire and forget);
    /// 6. an endpoint by power-of-two-choices least-request, then YARP forwards (502 refused/reset, 504 timeout);
    /// 7. for a gRPC request, an error the gateway answered itself becomes a trailers-only grpc-status.
    /// </summary>
    public Task HandleAsync(HttpContext context, BindingSlot slot) => HandleAsync(context, slot.Resolve(_store.Current));

    /// <summary>
    /// The same request path for a caller that already knows the binding: the waypoint, whose HBONE tunnel
    /// named the Service (VIP:port) and whose client picked the GAMMA route table (producer or consumer).
    /// </summary>
    public async Task HandleAsync(HttpContext context, PortBinding? binding)
    {
        var started = Stopwatch.GetTimestamp();
        ListenerModel? listener = null;
        RouteRuleModel? rule = null;
        string? backendName = null;
        var forwarded = false;
        try
        {
            // 1. Listener (listener isolation by Host), route table, entry.
            var request = context.Request;
            var host = request.Host.Value ?? "";
            listener = binding?.ListenersByHost.Find(host);
            if (binding is { Protocol: ListenerProtocol.Https or ListenerProtocol.Tls } && IsMisdirected(context, binding, listener))
            {
                // The TLS session was set up for another listener (its certificate, its routes): the client
                // must open a new connection for this Host (GatewayHTTPSListenerDetectMisdirectedRequests).
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return;
            }

            var table = listener?.Hosts.Find(host);
            var view = new HttpRequestView(request);
            var entry = table?.Match(in view);
            if (entry is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            rule = entry.Rule;
            var path = view.Path;

            // 2. Redirect: no backend is called; response header filters still shape the answer.
            if (rule.Redirect is { } redirect)
            {
                var location = RedirectBuilder.BuildLocation(
                    redirect, SchemeOf(binding!), host, binding!.Port, path, request.QueryString.Value ?? "", entry.Match.Path);
                context.Response.StatusCode = redirect.StatusCode;
                context.Response.Headers.Location = location;
                GatewayTransformer.ApplyResponseModifiers(rule.Filters, context.Response.Headers);
                return;
            }

            // 3. Rule filters, in the order written.
            string? rewriteHost = null;
            string? rewritePath = null;
            var hasMirror = false;
            var filters = rule.Filters;
            for (var i = 0; i < filters.Length; i++)
            {
                switch (filters[i])
                {
                    case RequestHeaderModifierFilter requestHeaders:
                        HeaderModifierApplier.Apply(requestHeaders.Modifier, request.Headers);
                        break;
                    case UrlRewriteFilter rewrite:
                        rewriteHost = rewrite.Hostname ?? rewriteHost;
                        if (rewrite.Path is not null)
                        {
                            rewritePath = PathRewriter.Apply(rewrite.Path, rewritePath ?? path, entry.Match.Path);
                        }

                        break;
                    case RequestMirrorFilter:
                        hasMirror = true;
                        break;
                }
            }

            // 4. Backend by weight; a share that belongs to an invalid backendRef answers 500.
            var backend = rule.Backends.Pick(Random.Shared.NextDouble());
            if (backend is null || backend.Invalid)
            {
                backendName = backend?.Name;
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            backendName = backend.Name;
            var backendFilters = backend.Filters;
            for (var i = 0; i < backendFilters.Length; i++)
            {
                if (backendFilters[i] is RequestHeaderModifierFilter requestHeaders)
                {
                    HeaderModifierApplier.Apply(requestHeaders.Modifier, request.Headers);
                }
            }

            // 5. Mirrors see the request as the filters left it; they never affect the response.
            if (hasMirror)
            {
                await _mirrors.MirrorAsync(context, filters, rewritePath ?? path, rewriteHost ?? host);
            }

            // 6. Endpoint, then forward.
            var endpoint = _balancer.Choose(backend);
            if (endpoint is null)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            context.Features.Set(new ForwardState
            {
                Rule = rule,
                Backend = backend,
                OriginalHost = host,
                RewriteHost = rewriteHost,
                RewritePath = rewritePath,
                Scheme = SchemeOf(binding!),
            });
            forwarded = true;
            await ForwardAsync(context, rule, backend, endpoint, listener!.BackendClientCertificate);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            // A bug must cost one request, not the process or the connection.
            LogPipelineError(_logger, ex);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
        finally
        {
            var elapsed = Stopwatch.GetTimestamp() - started;
            var status = context.Response.StatusCode;

            // 7. A gRPC caller gets the gateway's own errors as grpc-status (the metric keeps the HTTP status).
            //    421 stays HTTP: it tells the client to open another connection, which is transport business.
            if (status >= 400 && status != StatusCodes.Status421MisdirectedRequest && !context.Response.HasStarted
                && (!forwarded || context.GetForwarderErrorFeature() is not null) && GrpcLocalReply.IsGrpc(context.Request))
            {
                GrpcLocalReply.Apply(context.Response, status);
            }

            _metrics.RequestCompleted(listener, rule?.Route, backendName, status, elapsed);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogAccess(_logger, context.Request.Method, context.Request.Host.Value, context.Request.Path.Value, status,
                    rule?.Route.ToString(), backendName, Stopwatch.GetElapsedTime(started, started + elapsed).TotalMilliseconds);
            }
        }
    }

    private async Task ForwardAsync(HttpContext context, RouteRuleModel rule, BackendModel backend, EndpointState endpoint, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate)
    {
        var config = backend.Protocol == BackendProtocol.H2c ? H2cConfig : Http1Config;
        var requestTimeout = rule.RequestTimeout;
        var backendTimeout = rule.BackendRequestTimeout;

        // YARP's activity timeout bounds each wait on the backend (connect, response headers, body reads):
        // that is timeouts.backendRequest, and never more than timeouts.request.
        var activity = Min(backendTimeout, requestTimeout);
        if (activity is { } activityTimeout)
        {
            config = config with { ActivityTimeout = activityTimeout };
        }

        // timeouts.request covers the whole exchange: cancel the request's token when it runs out.
        CancellationTokenSource? deadline = null;
        var clientAborted = context.RequestAborted;
        if (requestTimeout is { } total)
        {
            deadline = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
            deadline.CancelAfter(total);
            context.RequestAborted = deadline.Token;
        }

        var invoker = clientCertificate is null
            ? _transport.GetInvoker(endpoint.Endpoint, backend)
            : _transport.GetInvoker(endpoint.Endpoint, backend, clientCertificate);
        endpoint.Begin();
        try
        {
            var error = await _forwarder.SendAsync(context, endpoint.DestinationPrefix, invoker, config, GatewayTransformer.Instance);
            if (error != ForwarderError.None)
            {
                var timedOut = error == ForwarderError.RequestTimedOut
                    || (deadline is not null && deadline.IsCancellationRequested && !clientAborted.IsCancellationRequested);
                if (timedOut && !context.Response.HasStarted)
                {
                    context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
                }

                var exception = context.GetForwarderErrorFeature()?.Exception;
                LogUpstreamError(_logger, error, endpoint.Endpoint.Key, backend.Name, rule.Route.ToString(), exception?.Message);
            }
        }
        finally
        {
            endpoint.End();
            if (deadline is not null)
            {
                context.RequestAborted = clientAborted;
                deadline.Dispose();
            }
        }
    }

    private static bool IsMisdirected(HttpContext context, PortBinding binding, ListenerModel? hostListener)
    {
        var sni = context.Features.Get<ITlsHandshakeFeature>()?.HostName;
        if (string.IsNullOrEmpty(sni))
        {
            return false;
        }

        return !ReferenceEquals(binding.ListenersByHost.Find(sni), hostListener);
    }

    /// <summary>The scheme the client used, from the socket's protocol (h2c detection makes connections look like TLS to Kestrel).</summary>
    internal static string SchemeOf(PortBinding binding) => binding.Protocol is ListenerProtocol.Https or ListenerProtocol.Tls ? "https" : "http";

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) =>
        a is null ? b : b is null ? a : (a.Value < b.Value ? a : b);

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Method} {Host}{Path} -> {Status} route={Route} backend={Backend} {ElapsedMs:F1}ms")]
    private static partial void LogAccess(ILogger logger, string method, string? host, string? path, int status, string? route, string? backend, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Upstream error {Error} from endpoint {Endpoint} of backend {Backend} (route {Route}): {Detail}")]
    private static partial void LogUpstreamError(ILogger logger, ForwarderError error, string endpoint, string backend, string route, string? detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Request pipeline failed; answered 500")]
    private static partial void LogPipelineError(ILogger logger, Exception exception);
}
