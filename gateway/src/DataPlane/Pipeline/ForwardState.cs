using Meshway.Routing.Backends;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Pipeline;

/// <summary>
/// What the filters decided for one request, read by <see cref="GatewayTransformer"/> when YARP builds the
/// upstream request and copies the response back. One small object per forwarded request.
/// </summary>
internal sealed class ForwardState
{
    public required RouteRuleModel Rule { get; init; }

    public required BackendModel Backend { get; init; }

    /// <summary>The Host the client sent: kept for the backend (unless rewritten) and sent as X-Forwarded-Host.</summary>
    public required string OriginalHost { get; init; }

    /// <summary>"http" or "https": what the client spoke to the gateway (sent as X-Forwarded-Proto).</summary>
    public required string Scheme { get; init; }

    /// <summary>URLRewrite hostname, when set.</summary>
    public string? RewriteHost { get; set; }

    /// <summary>URLRewrite path, when set.</summary>
    public string? RewritePath { get; set; }

    /// <summary>A binary gRPC-Web request translated to gRPC for the backend (see <see cref="GrpcWeb"/>).</summary>
    public bool GrpcWeb { get; set; }
}
