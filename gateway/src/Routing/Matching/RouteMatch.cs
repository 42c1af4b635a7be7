using System.Collections.Immutable;

namespace Meshway.Routing.Matching;

/// <summary>One HTTPRouteMatch: every condition must hold (AND). A rule with several matches gets one entry each (OR).</summary>
public sealed class RouteMatch
{
    public RouteMatch(
        PathMatch? path = null,
        string? method = null,
        ImmutableArray<ValueMatch> headers = default,
        ImmutableArray<ValueMatch> queryParameters = default,
        GrpcMethodSpecificity? grpc = null)
    {
        Grpc = grpc;
        Path = path ?? PathMatch.Default;
        Method = method;
        Headers = headers.IsDefault ? [] : headers;
        QueryParameters = queryParameters.IsDefault ? [] : queryParameters;
    }

    public PathMatch Path { get; }

    public string? Method { get; }

    public ImmutableArray<ValueMatch> Headers { get; }

    public ImmutableArray<ValueMatch> QueryParameters { get; }

    /// <summary>Set for GRPCRoute matches: they are ranked by service/method length instead of by path kind.</summary>
    public GrpcMethodSpecificity? Grpc { get; }

    public bool IsMatch<TRequest>(in TRequest request)
        where TRequest : IRequestView
    {
        if (!Path.IsMatch(request.Path))
        {
            return false;
        }

        if (Method is not null && !string.Equals(Method, request.Method, StringComparison.Ordinal))
        {
            return false;
        }

        var headers = Headers;
        for (var i = 0; i < headers.Length; i++)
        {
            if (!headers[i].IsMatch(request.GetHeader(headers[i].Name)))
            {
                return false;
            }
        }

        var query = QueryParameters;
        for (var i = 0; i < query.Length; i++)
        {
            if (!query[i].IsMatch(request.GetQueryParameter(query[i].Name)))
            {
                return false;
            }
        }

        return true;
    }
}
