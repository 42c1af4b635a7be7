using System.Collections.Immutable;
using System.Globalization;
using RegexParseException = System.Text.RegularExpressions.RegexParseException;
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
/// Compiles the rules of an HTTPRoute into routing IR. A rule the data plane cannot honour exactly (bad
/// regex, bad timeout, unsupported filter, ReplacePrefixMatch without a PathPrefix match) is dropped and
/// reported ("Dropped Rule"), because serving it differently from what the user wrote would be worse.
/// A reference that does not resolve keeps the rule but makes its share of traffic answer 500.
/// </summary>
internal static class HttpRouteCompiler
{
    private static readonly HashSet<string> Methods =
        ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

    private static readonly HashSet<int> RedirectCodes = [301, 302, 303, 307, 308];

    public static CompiledRoute Compile(HttpRoute route, ResourceSet resources)
    {
        var routeRef = new RouteRef("HTTPRoute", route.Namespace, route.Name);
        var rules = new List<CompiledRule>();
        var dropped = new List<string>();
        ConfigError? resolveError = null;
        ConfigError? acceptError = null;
        var specRules = route.Spec.Rules ?? [];

        for (var i = 0; i < specRules.Count; i++)
        {
            var rule = specRules[i] ?? new HttpRouteRule();
            if (HasIncompatibleFilters(rule))
            {
                acceptError ??= new ConfigError(Reasons.IncompatibleFilters,
                    $"rule {RuleLabel(i, rule)}: RequestRedirect and URLRewrite cannot be used together");
                continue;
            }

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

        if (acceptError is null && specRules.Count > 0 && rules.Count == 0)
        {
            acceptError = new ConfigError(Reasons.UnsupportedValue, "every rule is invalid: " + string.Join("; ", dropped));
        }

        if (specRules.Count == 0)
        {
            // The spec defaults rules to one rule matching "/" with no backends: every request gets a 500.
            rules.Add(new CompiledRule(
                new RouteRuleModel(routeRef, 0, null, [], BackendSet.Empty),
                [new RouteMatch()]));
        }

        var rawHostnames = route.Spec.Hostnames ?? [];
        var hostnames = rawHostnames.Where(HostnameMatch.IsValid).Select(h => h.ToLowerInvariant()).Distinct().ToList();
        return new CompiledRoute
        {
            Route = route,
            Rules = rules,
            AcceptError = acceptError,
            ResolveError = resolveError,
            DroppedRules = dropped,
            Hostnames = hostnames,
            HasInvalidHostnamesOnly = rawHostnames.Count > 0 && hostnames.Count == 0,
        };
    }

    private static string RuleLabel(int index, HttpRouteRule rule) =>
        string.IsNullOrEmpty(rule.Name) ? index.ToString(CultureInfo.InvariantCulture) : $"{index} ({rule.Name})";

    private static bool HasIncompatibleFilters(HttpRouteRule rule)
    {
        var filters = rule.Filters ?? [];
        return filters.Exists(f => f?.Type == "RequestRedirect") && filters.Exists(f => f?.Type == "URLRewrite");
    }

    private static (CompiledRule? Rule, string? DropReason, ConfigError? RefError) CompileRule(
        HttpRoute route, RouteRef routeRef, int index, HttpRouteRule rule, ResourceSet resources)
    {
        ConfigError? refError = null;

        // 1. Matches (none = PathPrefix "/").
        var matches = new List<RouteMatch>();
        foreach (var match in rule.Matches ?? [])
        {
            var (compiled, error) = CompileMatch(match ?? new HttpRouteMatch());
            if (compiled is null)
            {
                return (null, error, null);
            }

            matches.Add(compiled);
        }

        if (matches.Count == 0)
        {
            matches.Add(new RouteMatch());
        }

        // 2. Timeouts.
        var (requestTimeout, requestError) = ParseTimeout(rule.Timeouts?.Request, "timeouts.request");
        if (requestError is not null)
        {
            return (null, requestError, null);
        }

        var (backendTimeout, backendError) = ParseTimeout(rule.Timeouts?.BackendRequest, "timeouts.backendRequest");
        if (backendError is not null)
        {
            return (null, backendError, null);
        }

        if (requestTimeout is { } rt && backendTimeout is { } bt && bt > rt)
        {
            return (null, "timeouts.backendRequest must not be longer than timeouts.request", null);
        }

        // 3. Filters, in the order written.
        var (filters, failClosed, filtersError, filterRefError) = RuleFilterCompiler.Compile(
            rule.Filters, RuleLabel(index, rule), filter => CompileFilter(filter, route, resources, matches, backendLevel: false));
        refError ??= filterRefError;
        if (filtersError is not null)
        {
            return (null, filtersError, refError);
        }

        // 4. Backends.
        var (backends, backendsError, backendRefError) = BackendRefCompiler.Compile(
            rule.BackendRefs, resources, route.Namespace,
            filter => CompileFilter(filter, route, resources, matches, backendLevel: true),
            "HTTPRoute", protocolOverride: null);
        refError ??= backendRefError;
        if (backendsError is not null || backends is null)
        {
            return (null, backendsError, refError);
        }

        var backendSet = failClosed ? BackendSet.Empty : new BackendSet(backends);
        var model = new RouteRuleModel(
            routeRef,
            index,
            string.IsNullOrEmpty(rule.Name) ? null : rule.Name,
            failClosed ? [] : filters,
            backendSet,
            requestTimeout,
            backendTimeout);
        return (new CompiledRule(model, matches), null, refError);
    }

    /// <summary>The parser's own words, with the offset in the user's pattern (we wrap it as ^(?:...)$ to anchor it).</summary>
    internal static string RegexError(ArgumentException e, string pattern) => e is RegexParseException parse
        ? $"{parse.Error} at offset {Math.Clamp(parse.Offset - 4, 0, pattern.Length)}"
        : e.Message;

    private static (TimeSpan? Value, string? Error) ParseTimeout(string? text, string field)
    {
        if (text is null)
        {
            return (null, null);
        }

        if (!GatewayDuration.TryParse(text, out var value))
        {
            return (null, $"{field} \"{text}\" is not a valid duration (e.g. 1s, 500ms, 1h2m)");
        }

        // Zero disables the timeout, as the spec says.
        return (value == TimeSpan.Zero ? null : value, null);
    }

    private static (RouteMatch? Match, string? Error) CompileMatch(HttpRouteMatch match)
    {
        PathMatch path;
        var pathType = match.Path?.Type ?? "PathPrefix";
        var pathValue = match.Path?.Value ?? "/";
        switch (pathType)
        {
            case "Exact" or "PathPrefix":
                if (!pathValue.StartsWith('/'))
                {
                    return (null, $"path \"{pathValue}\" must start with '/'");
                }

                path = pathType == "Exact" ? PathMatch.Exact(pathValue) : PathMatch.Prefix(pathValue);
                break;
            case "RegularExpression":
                try
                {
                    path = PathMatch.Regex(pathValue);
                }
                catch (ArgumentException e)
                {
                    return (null, $"invalid path regular expression \"{pathValue}\": {RegexError(e, pathValue)}");
                }

                break;
            default:
                return (null, $"unsupported path match type {pathType}");
        }

        var method = match.Method;
        if (method is not null && !Methods.Contains(method))
        {
            return (null, $"unsupported method {method}");
        }

        var (headers, headerError) = CompileValueMatches(match.Headers, "header", ignoreCase: true);
        if (headerError is not null)
        {
            return (null, headerError);
        }

        var (query, queryError) = CompileValueMatches(match.QueryParams, "query parameter", ignoreCase: false);
        if (queryError is not null)
        {
            return (null, queryError);
        }

        return (new RouteMatch(path, method, headers, query), null);
    }

    internal static (ImmutableArray<ValueMatch> Matches, string? Error) CompileValueMatches(
        List<HttpValueMatch>? specs, string what, bool ignoreCase)
    {
        var result = ImmutableArray.CreateBuilder<ValueMatch>();
        var names = new HashSet<string>(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (var spec in specs ?? [])
        {
            if (spec is null || string.IsNullOrEmpty(spec.Name))
            {
                return ([], $"{what} match without a name");
            }

            // The spec: when a name appears more than once, only the first entry counts.
            if (!names.Add(spec.Name))
            {
                continue;
            }

            var value = spec.Value ?? "";
            switch (spec.Type ?? "Exact")
            {
                case "Exact":
                    result.Add(ValueMatch.Exact(spec.Name, value));
                    break;
                case "RegularExpression":
                    try
                    {
                        result.Add(ValueMatch.Regex(spec.Name, value));
                    }
                    catch (ArgumentException e)
                    {
                        return ([], $"invalid {what} regular expression \"{value}\": {RegexError(e, value)}");
                    }

                    break;
                default:
                    return ([], $"unsupported {what} match type {spec.Type}");
            }
        }

        return (result.ToImmutable(), null);
    }

    private static (RouteFilter? Filter, string? Error, ConfigError? RefError) CompileFilter(
        HttpRouteFilter filter, HttpRoute route, ResourceSet resources, List<RouteMatch> matches, bool backendLevel)
    {
        switch (filter.Type)
        {
            case "RequestHeaderModifier":
            {
                var (modifier, error) = CompileHeaders(filter.RequestHeaderModifier, "RequestHeaderModifier");
                return (modifier is null ? null : new RequestHeaderModifierFilter(modifier), error, null);
            }

            case "ResponseHeaderModifier":
            {
                var (modifier, error) = CompileHeaders(filter.ResponseHeaderModifier, "ResponseHeaderModifier");
                return (modifier is null ? null : new ResponseHeaderModifierFilter(modifier), error, null);
            }

            case "RequestRedirect" when !backendLevel:
                return CompileRedirect(filter.RequestRedirect, matches);
            case "URLRewrite" when !backendLevel:
            {
                var spec = filter.UrlRewrite;
                if (spec is null)
                {
                    return (null, "URLRewrite filter without urlRewrite", null);
                }

                if (spec.Hostname is not null && !HostnameMatch.IsValid(spec.Hostname))
                {
                    return (null, $"URLRewrite hostname \"{spec.Hostname}\" is not a valid hostname", null);
                }

                var (path, pathError) = CompilePathModifier(spec.Path, matches, "URLRewrite");
                return pathError is not null ? (null, pathError, null) : (new UrlRewriteFilter(spec.Hostname, path), null, null);
            }

            case "RequestMirror" when !backendLevel:
                return CompileMirror(filter.RequestMirror, route, resources);
            default:
                var where = backendLevel ? "on a backendRef " : "";
                return (null, $"filter type {filter.Type ?? "(none)"} is not supported {where}".TrimEnd(), null);
        }
    }

    internal static (HeaderModifier? Modifier, string? Error) CompileHeaders(HttpHeaderFilter? spec, string type)
    {
        if (spec is null)
        {
            return (null, $"{type} filter without its {char.ToLowerInvariant(type[0])}{type[1..]} field");
        }

        var set = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        var add = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var (target, headers) in new[] { (set, spec.Set), (add, spec.Add) })
        {
            foreach (var header in headers ?? [])
            {
                if (header is null || !IsHeaderName(header.Name))
                {
                    return (null, $"{type}: invalid header name \"{header?.Name}\"");
                }

                target.Add(new KeyValuePair<string, string>(header.Name!, header.Value ?? ""));
            }
        }

        var remove = ImmutableArray.CreateBuilder<string>();
        foreach (var name in spec.Remove ?? [])
        {
            if (!IsHeaderName(name))
            {
                return (null, $"{type}: invalid header name \"{name}\"");
            }

            remove.Add(name);
        }

        return (new HeaderModifier(set.ToImmutable(), add.ToImmutable(), remove.ToImmutable()), null);
    }

    private static bool IsHeaderName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var c in name)
        {
            // RFC 9110 token characters.
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    private static (RouteFilter? Filter, string? Error, ConfigError? RefError) CompileRedirect(
        HttpRequestRedirectFilter? spec, List<RouteMatch> matches)
    {
        if (spec is null)
        {
            return (null, "RequestRedirect filter without requestRedirect", null);
        }

        if (spec.Scheme is not (null or "http" or "https"))
        {
            return (null, $"RequestRedirect scheme \"{spec.Scheme}\" is not supported (http or https)", null);
        }

        if (spec.Hostname is not null && !HostnameMatch.IsValid(spec.Hostname))
        {
            return (null, $"RequestRedirect hostname \"{spec.Hostname}\" is not a valid hostname", null);
        }

        if (spec.Port is { } port && port is < 1 or > 65535)
        {
            return (null, $"RequestRedirect port {port} is out of range", null);
        }

        var statusCode = spec.StatusCode ?? 302;
        if (!RedirectCodes.Contains(statusCode))
        {
            return (null, $"RequestRedirect statusCode {statusCode} is not supported (301, 302, 303, 307, 308)", null);
        }

        var (path, pathError) = CompilePathModifier(spec.Path, matches, "RequestRedirect");
        if (pathError is not null)
        {
            return (null, pathError, null);
        }

        return (new RequestRedirectFilter(spec.Scheme, spec.Hostname, spec.Port, path, statusCode), null, null);
    }

    private static (PathModifier? Path, string? Error) CompilePathModifier(HttpPathModifier? spec, List<RouteMatch> matches, string filter)
    {
        if (spec is null)
        {
            return (null, null);
        }

        switch (spec.Type)
        {
            case "ReplaceFullPath":
                if (spec.ReplaceFullPath is not { } full || !full.StartsWith('/'))
                {
                    return (null, $"{filter} ReplaceFullPath needs a replaceFullPath starting with '/'");
                }

                return (new PathModifier(PathModifierKind.ReplaceFullPath, full), null);
            case "ReplacePrefixMatch":
                if (spec.ReplacePrefixMatch is not { } prefix || !prefix.StartsWith('/'))
                {
                    return (null, $"{filter} ReplacePrefixMatch needs a replacePrefixMatch starting with '/'");
                }

                // Replacing "the matched prefix" only means something when every match is a PathPrefix.
                if (matches.Exists(m => m.Path.Kind != PathMatchKind.PathPrefix))
                {
                    return (null, $"{filter} ReplacePrefixMatch requires every match of the rule to be a PathPrefix match");
                }

                return (new PathModifier(PathModifierKind.ReplacePrefixMatch, prefix), null);
            default:
                return (null, $"{filter} path type {spec.Type ?? "(none)"} is not supported");
        }
    }

    internal static (RouteFilter? Filter, string? Error, ConfigError? RefError) CompileMirror(
        HttpRequestMirrorFilter? spec, KubeObject route, ResourceSet resources, string fromKind = "HTTPRoute",
        BackendProtocol? protocolOverride = null)
    {
        if (spec?.BackendRef is not { } target)
        {
            return (null, "RequestMirror filter without a backendRef", null);
        }

        double percent = 100;
        if (spec.Percent is { } p)
        {
            if (p is < 0 or > 100)
            {
                return (null, $"RequestMirror percent {p} is out of range 0-100", null);
            }

            percent = p;
        }
        else if (spec.Fraction is { } fraction)
        {
            var denominator = fraction.Denominator ?? 100;
            if (denominator <= 0 || fraction.Numerator < 0 || fraction.Numerator > denominator)
            {
                return (null, $"RequestMirror fraction {fraction.Numerator}/{denominator} is not a valid fraction", null);
            }

            percent = 100.0 * fraction.Numerator / denominator;
        }

        var (backend, error) = BackendResolver.Resolve(
            resources, route.Namespace, target.Group, target.Kind, target.Name, target.Namespace, target.Port, 1,
            fromKind: fromKind, protocolOverride: protocolOverride);
        // A mirror that cannot be resolved mirrors nothing; the primary traffic is unaffected.
        return error is not null ? (null, null, error) : (new RequestMirrorFilter(backend, percent), null, null);
    }
}
