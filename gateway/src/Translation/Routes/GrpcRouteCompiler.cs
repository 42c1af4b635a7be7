using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;
using Meshway.Translation.Backends;
using Meshway.Translation.Hostnames;
using Meshway.Translation.Status;

namespace Meshway.Translation.Routes;

/// <summary>
/// Compiles a GRPCRoute into the same routing IR as an HTTPRoute. A gRPC call is an HTTP/2 POST to
/// "/{package.Service}/{Method}", so a method match becomes a path match:
/// service+method Exact -> Exact "/S/M"; service only -> PathPrefix "/S" (whole segment); method only ->
/// regex "/[^/]+/M"; RegularExpression -> regex "/(S)/(M)" with a missing part matching any one segment.
/// The HTTP precedence rules then give the GRPCRoute order the spec asks for (an exact method beats a
/// service-wide match; more header matches win). Every backend is called with HTTP/2 (h2c), whatever the
/// Service port's appProtocol says, because gRPC has no HTTP/1.1 mapping.
/// Rules the data plane cannot honour exactly are dropped and reported ("Dropped Rule"), as for HTTPRoute.
/// </summary>
internal static class GrpcRouteCompiler
{
    public const string Kind = "GRPCRoute";

    // The API's own validation patterns (grpcroute_types.go) for Exact matches.
    private static readonly Regex ServiceName = new(@"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$", RegexOptions.CultureInvariant);
    private static readonly Regex MethodName = new(@"^[A-Za-z_][A-Za-z_0-9]*$", RegexOptions.CultureInvariant);

    public static CompiledRoute Compile(GrpcRoute route, ResourceSet resources)
    {
        var routeRef = new RouteRef(Kind, route.Namespace, route.Name);
        var rules = new List<CompiledRule>();
        var dropped = new List<string>();
        ConfigError? resolveError = null;
        ConfigError? acceptError = null;
        var specRules = route.Spec.Rules ?? [];

        for (var i = 0; i < specRules.Count; i++)
        {
            var rule = specRules[i] ?? new GrpcRouteRule();
            var (compiled, dropReason, refError) = CompileRule(route, routeRef, i, rule, resources);
            resolveError ??= refError;
            if (compiled is null)
            {
                dropped.Add($"Dropped Rule {RuleLabel(i, rule)}: {dropReason}");
            }
            else
            {
                rules.Add(compiled);
            }
        }

        if (specRules.Count > 0 && rules.Count == 0)
        {
            acceptError = new ConfigError(Reasons.UnsupportedValue, "every rule is invalid: " + string.Join("; ", dropped));
        }

        if (specRules.Count == 0)
        {
            // Like an HTTPRoute without rules: every call matches and, with no backend, fails (UNAVAILABLE).
            rules.Add(new CompiledRule(new RouteRuleModel(routeRef, 0, null, [], BackendSet.Empty), [new RouteMatch(grpc: default(GrpcMethodSpecificity))]));
        }

        var rawHostnames = route.Spec.Hostnames ?? [];
        var hostnames = rawHostnames.Where(HostnameMatch.IsValid).Select(h => h.ToLowerInvariant()).Distinct().ToList();
        return new CompiledRoute
        {
            Route = route,
            Kind = Kind,
            Rules = rules,
            AcceptError = acceptError,
            ResolveError = resolveError,
            DroppedRules = dropped,
            Hostnames = hostnames,
            HasInvalidHostnamesOnly = rawHostnames.Count > 0 && hostnames.Count == 0,
        };
    }

    private static string RuleLabel(int index, GrpcRouteRule rule) =>
        string.IsNullOrEmpty(rule.Name) ? index.ToString(CultureInfo.InvariantCulture) : $"{index} ({rule.Name})";

    private static (CompiledRule? Rule, string? DropReason, ConfigError? RefError) CompileRule(
        GrpcRoute route, RouteRef routeRef, int index, GrpcRouteRule rule, ResourceSet resources)
    {
        ConfigError? refError = null;

        // 1. Matches (none = every call).
        var matches = new List<RouteMatch>();
        foreach (var match in rule.Matches ?? [])
        {
            var (compiled, error) = CompileMatch(match ?? new GrpcRouteMatch());
            if (compiled is null)
            {
                return (null, error, null);
            }

            matches.Add(compiled);
        }

        if (matches.Count == 0)
        {
            matches.Add(new RouteMatch(grpc: default(GrpcMethodSpecificity)));
        }

        // 2. Filters, in the order written. GRPCRoute has no redirect or rewrite filters.
        var (filters, failClosed, filtersError, filterRefError) = RuleFilterCompiler.Compile(
            rule.Filters, RuleLabel(index, rule), filter => CompileFilter(filter, route, resources, backendLevel: false));
        refError ??= filterRefError;
        if (filtersError is not null)
        {
            return (null, filtersError, refError);
        }

        // 3. Backends, always HTTP/2.
        var (backends, backendsError, backendRefError) = BackendRefCompiler.Compile(
            rule.BackendRefs, resources, route.Namespace,
            filter => CompileFilter(filter, route, resources, backendLevel: true),
            Kind, BackendProtocol.H2c);
        refError ??= backendRefError;
        if (backendsError is not null || backends is null)
        {
            return (null, backendsError, refError);
        }

        var model = new RouteRuleModel(
            routeRef,
            index,
            string.IsNullOrEmpty(rule.Name) ? null : rule.Name,
            failClosed ? [] : filters,
            failClosed ? BackendSet.Empty : new BackendSet(backends));
        return (new CompiledRule(model, matches), null, refError);
    }

    /// <summary>One GRPCRouteMatch as a path match plus header matches (gRPC metadata is HTTP/2 headers).</summary>
    internal static (RouteMatch? Match, string? Error) CompileMatch(GrpcRouteMatch match)
    {
        var (path, pathError) = CompileMethod(match.Method);
        if (pathError is not null)
        {
            return (null, pathError);
        }

        var (headers, headerError) = HttpRouteCompiler.CompileValueMatches(match.Headers, "header", ignoreCase: true);
        if (headerError is not null)
        {
            return (null, headerError);
        }

        var specificity = new GrpcMethodSpecificity(match.Method?.Service?.Length ?? 0, match.Method?.Method?.Length ?? 0);
        return (new RouteMatch(path, null, headers, grpc: specificity), null);
    }

    private static (PathMatch? Path, string? Error) CompileMethod(GrpcMethodMatch? method)
    {
        if (method is null)
        {
            return (null, null); // PathPrefix "/": every call
        }

        var service = string.IsNullOrEmpty(method.Service) ? null : method.Service;
        var name = string.IsNullOrEmpty(method.Method) ? null : method.Method;
        var type = method.Type ?? "Exact";
        if (service is null && name is null)
        {
            // The API's CEL rule; checked here too because files never went through an API server.
            return (null, "method match must set service, method or both");
        }

        switch (type)
        {
            case "Exact":
                if (service is not null && !ServiceName.IsMatch(service))
                {
                    return (null, $"method match service \"{service}\" is not a valid gRPC service name");
                }

                if (name is not null && !MethodName.IsMatch(name))
                {
                    return (null, $"method match method \"{name}\" is not a valid gRPC method name");
                }

                return (service, name) switch
                {
                    ({ } s, { } m) => (PathMatch.Exact("/" + s + "/" + m), null),
                    ({ } s, null) => (PathMatch.Prefix("/" + s + "/"), null),
                    // Method names are letters, digits and '_': nothing to escape.
                    _ => (PathMatch.Regex("/[^/]+/" + name), null),
                };
            case "RegularExpression":
                var pattern = "/" + Group(service) + "/" + Group(name);
                try
                {
                    // Each part alone first, so an error points at what the user wrote.
                    foreach (var part in new[] { service, name })
                    {
                        if (part is not null)
                        {
                            _ = new Regex(part, RegexOptions.CultureInvariant);
                        }
                    }

                    return (PathMatch.Regex(pattern), null);
                }
                catch (ArgumentException e)
                {
                    return (null, $"invalid method match regular expression: {e.Message}");
                }

            default:
                return (null, $"unsupported method match type {type}");
        }

        // A missing part matches any single path segment.
        static string Group(string? part) => part is null ? "[^/]+" : "(?:" + part + ")";
    }

    private static (RouteFilter? Filter, string? Error, ConfigError? RefError) CompileFilter(
        HttpRouteFilter filter, GrpcRoute route, ResourceSet resources, bool backendLevel)
    {
        switch (filter.Type)
        {
            case "RequestHeaderModifier":
            {
                var (modifier, error) = HttpRouteCompiler.CompileHeaders(filter.RequestHeaderModifier, "RequestHeaderModifier");
                return (modifier is null ? null : new RequestHeaderModifierFilter(modifier), error, null);
            }

            case "ResponseHeaderModifier":
            {
                var (modifier, error) = HttpRouteCompiler.CompileHeaders(filter.ResponseHeaderModifier, "ResponseHeaderModifier");
                return (modifier is null ? null : new ResponseHeaderModifierFilter(modifier), error, null);
            }

            case "RequestMirror" when !backendLevel:
                return HttpRouteCompiler.CompileMirror(filter.RequestMirror, route, resources, Kind, BackendProtocol.H2c);
            default:
                var where = backendLevel ? " on a backendRef" : "";
                return (null, $"filter type {filter.Type ?? "(none)"} is not supported on a GRPCRoute{where}", null);
        }
    }
}
