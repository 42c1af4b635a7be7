using Meshway.Routing.Backends;

namespace Meshway.Routing.Filters;

/// <summary>
/// RequestMirror: a copy of the request goes to <see cref="Backend"/> (fire and forget, the response is
/// dropped) for <see cref="Percent"/> of requests (0–100, from percent or fraction).
/// </summary>
public sealed class RequestMirrorFilter(BackendModel backend, double percent) : RouteFilter
{
    public BackendModel Backend { get; } = backend;

    public double Percent { get; } = percent;
}
