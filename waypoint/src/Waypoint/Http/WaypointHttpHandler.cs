using System.Globalization;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;
using Meshway.Waypoint.Inbound;
using Meshway.Waypoint.Outbound;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Meshway.Waypoint.Http;

/// <summary>
/// Serves one HTTP request that arrived inside an HBONE tunnel. The tunnel already named the Service
/// (its VIP:port) and the client (its SPIFFE ID), so there is no listener or hostname step:
/// 1. the route table for the client's namespace (its consumer routes, else the producer routes);
/// 2. the first matching entry (none: 404);
/// 3. a redirect answers at once; otherwise request header and URL rewrite filters in order;
/// 4. a backend by weight (invalid or none: 500), its own filters, an endpoint (none: 503);
/// 5. forward with YARP over the endpoint's transport (HBONE to ambient pods), response header filters
///    on the way back.
/// This is the routing core's request path reduced to what GAMMA needs; when the shared DataPlane
/// pipeline lands it takes over steps 2-5 through its transport seam.
/// </summary>
public sealed partial class WaypointHttpHandler
{
    private static readonly ForwarderRequestConfig Http1 = new() { Version = System.Net.HttpVersion.Version11 };
    private static readonly ForwarderRequestConfig H2c = new()
    {
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private readonly IHttpForwarder _forwarder;
    private readonly WaypointTransport _transport;
    private readonly ILogger _logger;
    private long _counter;

    public WaypointHttpHandler(IHttpForwarder forwarder, WaypointTransport transport, ILogger<WaypointHttpHandler> logger)
    {
        _forwarder = forwarder;
        _transport = transport;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var tunnel = context.Features.Get<HboneTunnelFeature>();
        if (tunnel is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        try
        {
            // 1-2. Table by client namespace, then match.
            var table = tunnel.Target.TableFor(tunnel.Peer.Namespace);
            var view = new WaypointRequestView(context.Request);
            var entry = table.Match(in view);
            if (entry is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var rule = entry.Rule;
            var path = view.Path;
            var host = context.Request.Host.Value ?? tunnel.Target.Vip;

            // 3. Redirect, or request filters in order.
            if (rule.Redirect is { } redirect)
            {
                context.Response.StatusCode = redirect.StatusCode;
                context.Response.Headers.Location = RedirectLocation(redirect, host, tunnel.Target.Port, path, context.Request.QueryString.Value, entry.Match.Path);
                ApplyResponseFilters(rule.Filters, context.Response.Headers);
                return;
            }

            string? rewriteHost = null;
            string? rewritePath = null;
            foreach (var filter in rule.Filters)
            {
                switch (filter)
                {
                    case RequestHeaderModifierFilter headers:
                        ApplyHeaders(headers.Modifier, context.Request.Headers);
                        break;
                    case UrlRewriteFilter rewrite:
                        rewriteHost = rewrite.Hostname ?? rewriteHost;
                        if (rewrite.Path is not null)
                        {
                            rewritePath = RewritePath(rewrite.Path, rewritePath ?? path, entry.Match.Path);
                        }

                        break;
                }
            }

            // 4. Backend, its filters, an endpoint.
            var backend = rule.Backends.Pick(Random.Shared.NextDouble());
            if (backend is null || backend.Invalid)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            foreach (var filter in backend.Filters)
            {
                if (filter is RequestHeaderModifierFilter headers)
                {
                    ApplyHeaders(headers.Modifier, context.Request.Headers);
                }
            }

            if (backend.Endpoints.Length == 0)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            var endpoint = backend.Endpoints[(int)((ulong)Interlocked.Increment(ref _counter) % (ulong)backend.Endpoints.Length)];

            // 5. Forward.
            var transformer = new Transformer(rewritePath, rewriteHost, rule.Filters, backend.Filters);
            var config = backend.Protocol == BackendProtocol.H2c ? H2c : Http1;
            if ((rule.BackendRequestTimeout ?? rule.RequestTimeout) is { } timeout)
            {
                config = config with { ActivityTimeout = timeout };
            }

            var error = await _forwarder.SendAsync(context, "http://" + endpoint.Key, _transport.GetInvoker(endpoint), config, transformer);
            if (error != ForwarderError.None)
            {
                Log.UpstreamError(_logger, error, endpoint.Key, tunnel.Target.DisplayName, context.GetForwarderErrorFeature()?.Exception?.Message);
            }
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            Log.HandlerFailed(_logger, ex);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }

    internal static void ApplyHeaders(HeaderModifier modifier, IHeaderDictionary headers)
    {
        foreach (var (name, value) in modifier.Set)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in modifier.Add)
        {
            headers.Append(name, value);
        }

        foreach (var name in modifier.Remove)
        {
            headers.Remove(name);
        }
    }

    private static void ApplyResponseFilters(IEnumerable<RouteFilter> filters, IHeaderDictionary headers)
    {
        foreach (var filter in filters)
        {
            if (filter is ResponseHeaderModifierFilter response)
            {
                ApplyHeaders(response.Modifier, headers);
            }
        }
    }

    /// <summary>ReplaceFullPath replaces the path; ReplacePrefixMatch swaps the matched prefix and keeps the rest.</summary>
    internal static string RewritePath(PathModifier modifier, string path, PathMatch matched)
    {
        if (modifier.Kind == PathModifierKind.ReplaceFullPath || matched.Kind != PathMatchKind.PathPrefix)
        {
            return modifier.Value.Length == 0 ? "/" : modifier.Value;
        }

        var prefix = matched.NormalizedPrefix;
        var rest = path.Length >= prefix.Length ? path[prefix.Length..] : "";
        if (rest.Length == 0)
        {
            return modifier.Value.Length == 0 ? "/" : modifier.Value;
        }

        var replacement = modifier.Value.TrimEnd('/');
        return rest[0] == '/' ? replacement + rest : replacement + "/" + rest;
    }

    internal static string RedirectLocation(RequestRedirectFilter redirect, string host, int servicePort, string path, string? query, PathMatch matched)
    {
        var scheme = redirect.Scheme ?? "http";
        var hostname = redirect.Hostname ?? StripPort(host);

        // The spec: an explicit port wins; else a changed scheme means its well-known port (omitted); else
        // the port the request came to, omitted when it is the scheme's well-known one.
        int? port = redirect.Port ?? (redirect.Scheme is not null ? null : PortOf(host) ?? servicePort);
        var wellKnown = scheme == "https" ? 443 : 80;
        var authority = port is { } p && p != wellKnown ? hostname + ":" + p.ToString(CultureInfo.InvariantCulture) : hostname;
        var newPath = redirect.Path is null ? path : RewritePath(redirect.Path, path, matched);
        return scheme + "://" + authority + newPath + (query ?? "");
    }

    private static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(']') < colon ? host[..colon] : host;
    }

    private static int? PortOf(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(']') < colon && int.TryParse(host.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    /// <summary>YARP's default copy plus our path/host rewrite and the response header filters.</summary>
    private sealed class Transformer(string? path, string? host, IEnumerable<RouteFilter> ruleFilters, IEnumerable<RouteFilter> backendFilters)
        : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            if (path is not null)
            {
                proxyRequest.RequestUri = new Uri(destinationPrefix + path + httpContext.Request.QueryString.Value);
            }

            // The Host the client sent goes to the backend unless a URLRewrite replaces it.
            proxyRequest.Headers.Host = host ?? httpContext.Request.Host.Value;
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            ApplyResponseFilters(backendFilters, httpContext.Response.Headers);
            ApplyResponseFilters(ruleFilters, httpContext.Response.Headers);
            return result;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Upstream error {Error} from endpoint {Endpoint} of {Service}: {Detail}")]
        public static partial void UpstreamError(ILogger logger, ForwarderError error, string endpoint, string service, string? detail);

        [LoggerMessage(2, LogLevel.Error, "Waypoint request failed; answered 500")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
