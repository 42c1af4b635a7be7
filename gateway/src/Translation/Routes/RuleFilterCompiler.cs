using System.Collections.Immutable;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Filters;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// A rule's filters, in the order written, for HTTPRoute and GRPCRoute alike (both use HTTPRouteFilter). An
/// ExtensionRef filter cannot be resolved: the spec says it must not be skipped silently, so the rule fails
/// closed (no filters, no backends: requests it would have handled get an error) and the route reports
/// ResolvedRefs=False InvalidKind. The first filter error drops the rule.
/// </summary>
internal static class RuleFilterCompiler
{
    public static (ImmutableArray<RouteFilter> Filters, bool FailClosed, string? Error, ConfigError? RefError) Compile(
        List<HttpRouteFilter>? filters,
        string ruleLabel,
        Func<HttpRouteFilter, (RouteFilter? Filter, string? Error, ConfigError? RefError)> compileFilter)
    {
        var compiled = ImmutableArray.CreateBuilder<RouteFilter>();
        var failClosed = false;
        ConfigError? refError = null;
        foreach (var filter in filters ?? [])
        {
            if (filter?.Type == "ExtensionRef")
            {
                refError ??= new ConfigError(Reasons.InvalidKind,
                    $"rule {ruleLabel}: ExtensionRef filter {filter.ExtensionRef?.Group}/{filter.ExtensionRef?.Kind} {filter.ExtensionRef?.Name} is not supported");
                failClosed = true;
                continue;
            }

            var (one, error, mirrorError) = compileFilter(filter ?? new HttpRouteFilter());
            refError ??= mirrorError;
            if (error is not null)
            {
                return ([], failClosed, error, refError);
            }

            if (one is not null)
            {
                compiled.Add(one);
            }
        }

        return (compiled.ToImmutable(), failClosed, null, refError);
    }
}
