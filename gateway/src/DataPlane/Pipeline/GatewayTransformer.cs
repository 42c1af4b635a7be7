using System.Net.Http.Headers;
using Meshway.DataPlane.Filters;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// Shapes the upstream request and the client response around YARP's default header copying: the path and
/// Host after URLRewrite, the X-Forwarded-For/Proto/Host headers, and ResponseHeaderModifier filters (rule
/// first, then backendRef) on the way back. Stateless: per-request facts come from <see cref="ForwardState"/>.
/// </summary>
internal sealed class GatewayTransformer : HttpTransformer
{
    public static GatewayTransformer Instance { get; } = new();

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var state = httpContext.Features.Get<ForwardState>()!;
        var request = httpContext.Request;
        var path = state.RewritePath is null ? request.Path : new PathString(state.RewritePath);
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, request.QueryString);

        // The Gateway API keeps the client's Host unless a URLRewrite changes it (YARP's default would use the endpoint).
        proxyRequest.Headers.Host = state.RewriteHost ?? state.OriginalHost;

        var headers = proxyRequest.Headers;
        RemoveConnectionNominated(request.Headers.Connection, headers, proxyRequest.Content?.Headers);
        var remote = httpContext.Connection.RemoteIpAddress;
        if (remote is not null)
        {
            var client = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4().ToString() : remote.ToString();
            if (headers.TryGetValues("X-Forwarded-For", out var prior))
            {
                headers.Remove("X-Forwarded-For");
                headers.TryAddWithoutValidation("X-Forwarded-For", string.Join(", ", prior) + ", " + client);
            }
            else
            {
                headers.TryAddWithoutValidation("X-Forwarded-For", client);
            }
        }

        SetHeader(headers, "X-Forwarded-Proto", state.Scheme);
        SetHeader(headers, "X-Forwarded-Host", state.OriginalHost);
        if (state.Backend.Protocol == BackendProtocol.H2c && GrpcWeb.Is(request))
        {
            state.GrpcWeb = true;
            GrpcWeb.TransformRequest(request, proxyRequest);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copied = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var state = httpContext.Features.Get<ForwardState>();
        if (state is not null && proxyResponse is not null)
        {
            ApplyResponseModifiers(state.Rule.Filters, httpContext.Response.Headers);
            ApplyResponseModifiers(state.Backend.Filters, httpContext.Response.Headers);
            if (state.GrpcWeb)
            {
                GrpcWeb.TransformResponse(httpContext.Response);
            }
        }

        return copied;
    }

    public override ValueTask TransformResponseTrailersAsync(
        HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        // gRPC-Web carries the trailers in the body (HTTP/1.1 has none); everyone else gets them as trailers.
        return httpContext.Features.Get<ForwardState>() is { GrpcWeb: true }
            ? GrpcWeb.WriteTrailersAsync(httpContext.Response, proxyResponse, cancellationToken)
            : base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
    }

    internal static void ApplyResponseModifiers(System.Collections.Immutable.ImmutableArray<RouteFilter> filters, IHeaderDictionary headers)
    {
        for (var i = 0; i < filters.Length; i++)
        {
            if (filters[i] is ResponseHeaderModifierFilter response)
            {
                HeaderModifierApplier.Apply(response.Modifier, headers);
            }
        }
    }

    /// <summary>
    /// RFC 9110 §7.6.1: a proxy must remove the headers a client names in Connection (they are meant for
    /// the next hop only). YARP drops the standard hop-by-hop headers itself; "upgrade" stays, since
    /// WebSocket upgrades are forwarded as upgrades.
    /// </summary>
    private static void RemoveConnectionNominated(Microsoft.Extensions.Primitives.StringValues connection, HttpHeaders headers, HttpHeaders? contentHeaders)
    {
        for (var i = 0; i < connection.Count; i++)
        {
            var value = connection[i].AsSpan();
            while (value.Length > 0)
            {
                var comma = value.IndexOf(',');
                var token = (comma < 0 ? value : value[..comma]).Trim();
                value = comma < 0 ? default : value[(comma + 1)..];
                if (token.Length == 0
                    || token.Equals("close", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                Remove(headers, token.ToString());
                if (contentHeaders is not null)
                {
                    Remove(contentHeaders, token.ToString());
                }
            }
        }
    }

    private static void Remove(HttpHeaders headers, string name)
    {
        try
        {
            headers.Remove(name);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            // Not a valid header name, or one this collection cannot hold: nothing by that name is forwarded here.
        }
    }

    private static void SetHeader(HttpRequestHeaders headers, string name, string value)
    {
        headers.Remove(name);
        headers.TryAddWithoutValidation(name, value);
    }
}
