using System.Text.Json.Nodes;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Routing.Matching;

namespace Meshway.Routing.Model;

/// <summary>
/// Renders a snapshot as JSON: what /config_dump serves and what translation golden files compare. The
/// output is deterministic (bindings, listeners and hostnames in a stable order) so diffs are reviewable.
/// </summary>
public static class SnapshotJson
{
    public static JsonObject Write(RoutingSnapshot snapshot)
    {
        var bindings = new JsonArray();
        foreach (var binding in snapshot.Bindings.OrderBy(b => b.Port).ThenBy(b => b.Address, StringComparer.Ordinal))
        {
            var listeners = new JsonArray();
            foreach (var listener in binding.Listeners)
            {
                listeners.Add(WriteListener(listener));
            }

            bindings.Add(new JsonObject
            {
                ["address"] = binding.Address,
                ["port"] = binding.Port,
                ["protocol"] = binding.Protocol.ToString(),
                ["listeners"] = listeners,
            });
        }

        return new JsonObject { ["bindings"] = bindings };
    }

    private static JsonObject WriteListener(ListenerModel listener)
    {
        var hosts = new JsonObject();
        foreach (var (hostname, table) in listener.Hosts.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var entries = new JsonArray();
            foreach (var entry in table.Entries)
            {
                entries.Add(WriteEntry(entry));
            }

            hosts[hostname] = entries;
        }

        var json = new JsonObject
        {
            ["gateway"] = listener.Gateway,
            ["name"] = listener.Name,
            ["hostname"] = listener.Hostname,
        };
        if (listener.Certificate is not null)
        {
            json["certificate"] = new JsonObject
            {
                ["subject"] = listener.Certificate.Subject,
                ["notAfter"] = listener.Certificate.NotAfter.ToUniversalTime().ToString("O"),
            };
        }

        if (listener.ClientValidation is { } validation)
        {
            var cas = new JsonArray();
            foreach (var ca in validation.CaCertificates)
            {
                cas.Add(ca.Subject);
            }

            json["clientValidation"] = new JsonObject
            {
                ["source"] = validation.Source,
                ["mode"] = validation.AllowInsecureFallback ? "AllowInsecureFallback" : "AllowValidOnly",
                ["caCertificates"] = cas,
            };
        }

        if (listener.BackendClientCertificate is { } backendCertificate)
        {
            json["backendClientCertificate"] = backendCertificate.Subject;
        }

        json["hosts"] = hosts;
        if (listener.Stream is { } stream)
        {
            json["stream"] = WriteStream(stream);
        }

        return json;
    }

    private static JsonObject WriteStream(StreamListenerModel stream)
    {
        var json = new JsonObject { ["mode"] = stream.Mode.ToString() };
        if (stream.Mode == StreamMode.Tcp)
        {
            json["route"] = stream.TcpRoute is { } tcp ? WriteStreamRoute(tcp) : null;
            return json;
        }

        var sni = new JsonObject();
        foreach (var (hostname, route) in stream.RoutesBySni.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            sni[hostname] = WriteStreamRoute(route);
        }

        json["sni"] = sni;
        return json;
    }

    private static JsonObject WriteStreamRoute(StreamRoute route)
    {
        var backends = new JsonArray();
        foreach (var backend in route.Backends.Backends)
        {
            backends.Add(WriteBackend(backend));
        }

        return new JsonObject { ["route"] = route.Route.Kind + "/" + route.Route, ["backends"] = backends };
    }

    private static JsonObject WriteEntry(RouteEntry entry)
    {
        var rule = entry.Rule;
        var json = new JsonObject
        {
            ["route"] = rule.Route.Kind + "/" + rule.Route,
            ["rule"] = rule.RuleName is null ? rule.RuleIndex : rule.RuleIndex + " (" + rule.RuleName + ")",
            ["match"] = WriteMatch(entry.Match),
        };
        if (rule.Filters.Length > 0)
        {
            json["filters"] = WriteFilters(rule.Filters);
        }

        var backends = new JsonArray();
        foreach (var backend in rule.Backends.Backends)
        {
            backends.Add(WriteBackend(backend));
        }

        json["backends"] = backends;
        if (rule.RequestTimeout is { } request)
        {
            json["requestTimeout"] = request.ToString("c");
        }

        if (rule.BackendRequestTimeout is { } backendRequest)
        {
            json["backendRequestTimeout"] = backendRequest.ToString("c");
        }

        return json;
    }

    private static JsonObject WriteMatch(RouteMatch match)
    {
        var json = new JsonObject { ["path"] = match.Path.Kind + " " + match.Path.Value };
        if (match.Method is not null)
        {
            json["method"] = match.Method;
        }

        if (match.Headers.Length > 0)
        {
            json["headers"] = WriteValueMatches(match.Headers);
        }

        if (match.QueryParameters.Length > 0)
        {
            json["queryParams"] = WriteValueMatches(match.QueryParameters);
        }

        return json;
    }

    private static JsonArray WriteValueMatches(IEnumerable<ValueMatch> matches)
    {
        var array = new JsonArray();
        foreach (var m in matches)
        {
            array.Add(m.Name + (m.Kind == ValueMatchKind.Exact ? " = " : " ~ ") + m.Value);
        }

        return array;
    }

    private static JsonObject WriteBackend(BackendModel backend)
    {
        var json = new JsonObject { ["name"] = backend.Name, ["weight"] = backend.Weight };
        if (backend.Invalid)
        {
            json["invalid"] = true;
        }

        if (backend.Protocol != BackendProtocol.Http1)
        {
            json["protocol"] = backend.Protocol.ToString();
        }

        if (backend.Tls is { } tls)
        {
            var cas = new JsonArray();
            foreach (var ca in tls.CaCertificates)
            {
                cas.Add(ca.Subject);
            }

            json["tls"] = new JsonObject
            {
                ["policy"] = tls.Policy,
                ["hostname"] = tls.Hostname,
                ["caCertificates"] = tls.CaCertificates.Length == 0 ? "System" : cas,
                ["subjectAltNames"] = new JsonArray([.. tls.DnsNames.Concat(tls.Uris).Select(n => (JsonNode?)JsonValue.Create(n))]),
            };
        }

        var endpoints = new JsonArray();
        foreach (var endpoint in backend.Endpoints)
        {
            endpoints.Add(endpoint.Key);
        }

        json["endpoints"] = endpoints;
        if (backend.Filters.Length > 0)
        {
            json["filters"] = WriteFilters(backend.Filters);
        }

        return json;
    }

    private static JsonArray WriteFilters(IEnumerable<RouteFilter> filters)
    {
        var array = new JsonArray();
        foreach (var filter in filters)
        {
            array.Add(filter switch
            {
                RequestHeaderModifierFilter f => new JsonObject { ["requestHeaderModifier"] = WriteModifier(f.Modifier) },
                ResponseHeaderModifierFilter f => new JsonObject { ["responseHeaderModifier"] = WriteModifier(f.Modifier) },
                RequestRedirectFilter f => new JsonObject
                {
                    ["requestRedirect"] = new JsonObject
                    {
                        ["scheme"] = f.Scheme,
                        ["hostname"] = f.Hostname,
                        ["port"] = f.Port,
                        ["path"] = f.Path is null ? null : f.Path.Kind + " " + f.Path.Value,
                        ["statusCode"] = f.StatusCode,
                    },
                },
                UrlRewriteFilter f => new JsonObject
                {
                    ["urlRewrite"] = new JsonObject
                    {
                        ["hostname"] = f.Hostname,
                        ["path"] = f.Path is null ? null : f.Path.Kind + " " + f.Path.Value,
                    },
                },
                RequestMirrorFilter f => new JsonObject
                {
                    ["requestMirror"] = new JsonObject { ["backend"] = WriteBackend(f.Backend), ["percent"] = f.Percent },
                },
                _ => new JsonObject { ["unknown"] = filter.GetType().Name },
            });
        }

        return array;
    }

    private static JsonObject WriteModifier(HeaderModifier modifier)
    {
        var json = new JsonObject();
        if (modifier.Set.Length > 0)
        {
            json["set"] = WritePairs(modifier.Set);
        }

        if (modifier.Add.Length > 0)
        {
            json["add"] = WritePairs(modifier.Add);
        }

        if (modifier.Remove.Length > 0)
        {
            var remove = new JsonArray();
            foreach (var name in modifier.Remove)
            {
                remove.Add(name);
            }

            json["remove"] = remove;
        }

        return json;
    }

    private static JsonObject WritePairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var json = new JsonObject();
        foreach (var (name, value) in pairs)
        {
            json[name] = value;
        }

        return json;
    }
}
