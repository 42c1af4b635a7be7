using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshway.Kubernetes.Tests.ApiServer;

/// <summary>
/// A small Kubernetes API server for tests, on Kestrel over 127.0.0.1, speaking the real wire protocol:
/// - list: {"kind":"XList","metadata":{"resourceVersion","continue"},"items":[...]} with limit/continue and
///   label (k=v,...) and field (metadata.name, metadata.namespace) selectors; list items carry no apiVersion/kind
///   as on a real server;
/// - watch (?watch=1&amp;resourceVersion=RV): a chunked stream of {"type","object"} lines replaying history after
///   RV, then live events; BOOKMARK events on demand; 410 Gone for versions older than the compacted history,
///   as an ERROR event with a Status (what real servers do) or, when <see cref="GoneAsHttpStatus"/>, as HTTP 410;
/// - create/replace/delete with optimistic concurrency (409 Conflict on a stale metadata.resourceVersion), and
///   the /status subresource (only status changes; spec changes bump metadata.generation);
/// - faults: <see cref="DropWatches"/> cuts every open watch mid-line, <see cref="Compact"/> forgets history,
///   <see cref="Unavailable"/> answers 503 to everything.
/// Every request is recorded so tests can count what a client did.
/// </summary>
public sealed class TestApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _store = new(StringComparer.Ordinal);
    private readonly List<(long Rv, string Resource, string Type, JsonObject Object)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<string> _requests = [];
    private long _rv = 100;
    private long _compactedBelow;
    private int _nextIp = 10;

    private TestApiServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>When set, requests must carry "Authorization: Bearer " + this value (else 401).</summary>
    public Func<string?>? RequiredToken { get; set; }

    /// <summary>Send 410 Gone for too-old watches as an HTTP status instead of an ERROR event.</summary>
    public bool GoneAsHttpStatus { get; set; }

    /// <summary>Answer 503 to every request (an API server that is down but reachable).</summary>
    public bool Unavailable { get; set; }

    /// <summary>Requests so far, as "METHOD path?query".</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    public static async Task<TestApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestApiServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>A kubeconfig file for this server (token auth when a token is given).</summary>
    public string WriteKubeconfig(string directory, string? token = null, string @namespace = "default")
    {
        var path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: test
            contexts:
            - name: test
              context: {"{"}cluster: test, user: test, namespace: {@namespace}{"}"}
            clusters:
            - name: test
              cluster: {"{"}server: "{BaseAddress.ToString().TrimEnd('/')}"{"}"}
            users:
            - name: test
              user: {(token is null ? "{}" : "{token: \"" + token + "\"}")}
            """);
        return path;
    }

    // ---- direct access for tests (the same effects as API calls) ----

    /// <summary>Creates or replaces an object given as JSON; returns it as stored.</summary>
    public JsonObject Apply(string json) => Apply(JsonNode.Parse(json)!.AsObject());

    public JsonObject Apply(JsonObject obj)
    {
        var (resource, ns, name) = Identify(obj);
        lock (_lock)
        {
            var existing = Find(resource, ns, name);
            obj["metadata"]!.AsObject().Remove("resourceVersion");
            return existing is null ? CreateLocked(resource, ns, obj) : ReplaceLocked(resource, ns, name, obj, existing, statusOnly: false);
        }
    }

    public JsonObject? Get(string apiVersion, string kind, string? ns, string name)
    {
        lock (_lock)
        {
            return Find(ResourceOf(apiVersion, kind), ns ?? "", name)?.DeepClone().AsObject();
        }
    }

    public List<JsonObject> List(string apiVersion, string kind)
    {
        lock (_lock)
        {
            return _store.TryGetValue(ResourceOf(apiVersion, kind), out var objects)
                ? objects.Values.Select(o => o.DeepClone().AsObject()).ToList()
                : [];
        }
    }

    public void Delete(string apiVersion, string kind, string? ns, string name)
    {
        lock (_lock)
        {
            DeleteLocked(ResourceOf(apiVersion, kind), ns ?? "", name);
        }
    }

    /// <summary>Forgets history up to now: watches from older versions get 410 Gone.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedBelow = _rv + 1;
            _history.Clear();
        }
    }

    /// <summary>Cuts every open watch after writing half an event line, like a connection reset mid-stream.</summary>
    public void DropWatches()
    {
        List<Watcher> watchers;
        lock (_lock)
        {
            watchers = [.. _watchers];
        }

        foreach (var watcher in watchers)
        {
            watcher.Events.Writer.TryWrite("{\"type\":\"MODIF");
            watcher.Events.Writer.TryComplete(new IOException("dropped"));
        }
    }

    /// <summary>
    /// Makes every open watch go silent without closing (a connection that died without a FIN): they get no
    /// more events and ignore their timeoutSeconds; only the client giving up ends them.
    /// </summary>
    public void StallWatches()
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Stalled = true;
            }
        }
    }

    /// <summary>Sends every open watch a BOOKMARK with the current resourceVersion.</summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                var bookmark = new JsonObject
                {
                    ["kind"] = watcher.Kind,
                    ["apiVersion"] = watcher.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(_rv) },
                };
                watcher.Events.Writer.TryWrite(Line("BOOKMARK", bookmark));
            }
        }
    }

    /// <summary>Status writes (PUT .../status) so far.</summary>
    public int StatusWrites(string? pathContains = null) =>
        Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/status", StringComparison.Ordinal)
            && (pathContains is null || r.Contains(pathContains, StringComparison.Ordinal)));

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // ---- HTTP ----

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        lock (_lock)
        {
            _requests.Add(request.Method + " " + request.Path + request.QueryString);
        }

        if (Unavailable)
        {
            await WriteStatusAsync(context, 503, "ServiceUnavailable", "the test server is unavailable");
            return;
        }

        if (RequiredToken?.Invoke() is { } token && request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized");
            return;
        }

        if (!TryParsePath(request.Path.Value ?? "", out var target))
        {
            await WriteStatusAsync(context, 404, "NotFound", "the server could not find the requested resource");
            return;
        }

        switch (request.Method)
        {
            case "GET" when target.Name is null && request.Query["watch"] is { Count: > 0 } w && w[0] is "1" or "true":
                await WatchAsync(context, target);
                return;
            case "GET" when target.Name is null:
                await ListAsync(context, target);
                return;
            case "GET":
                JsonObject? found;
                lock (_lock)
                {
                    found = Find(target.Resource, target.Namespace, target.Name)?.DeepClone().AsObject();
                }

                if (found is null)
                {
                    await WriteStatusAsync(context, 404, "NotFound", $"{target.Resource} \"{target.Name}\" not found");
                }
                else
                {
                    await WriteJsonAsync(context, 200, found);
                }

                return;
            case "POST" when target.Name is null:
            {
                var body = await ReadBodyAsync(context);
                if (body is null)
                {
                    await WriteStatusAsync(context, 400, "BadRequest", "the body is not a JSON object");
                    return;
                }

                JsonObject? created = null;
                lock (_lock)
                {
                    var name = body["metadata"]?["name"]?.GetValue<string>() ?? "";
                    if (name.Length > 0 && Find(target.Resource, target.Namespace, name) is null)
                    {
                        body["metadata"]!.AsObject().Remove("resourceVersion");
                        if (target.Namespace.Length > 0)
                        {
                            body["metadata"]!["namespace"] = target.Namespace;
                        }

                        created = CreateLocked(target.Resource, target.Namespace, body).DeepClone().AsObject();
                    }
                }

                if (created is null)
                {
                    await WriteStatusAsync(context, 409, "AlreadyExists", $"{target.Resource} already exists (or has no name)");
                }
                else
                {
                    await WriteJsonAsync(context, 201, created);
                }

                return;
            }

            case "PUT" when target.Name is not null:
            {
                var body = await ReadBodyAsync(context);
                if (body is null)
                {
                    await WriteStatusAsync(context, 400, "BadRequest", "the body is not a JSON object");
                    return;
                }

                int code;
                JsonObject? result = null;
                lock (_lock)
                {
                    var existing = Find(target.Resource, target.Namespace, target.Name);
                    var expected = body["metadata"]?["resourceVersion"]?.GetValue<string>();
                    if (existing is null)
                    {
                        code = 404;
                    }
                    else if (!string.IsNullOrEmpty(expected) && expected != existing["metadata"]!["resourceVersion"]!.GetValue<string>())
                    {
                        code = 409;
                    }
                    else
                    {
                        code = 200;
                        result = ReplaceLocked(target.Resource, target.Namespace, target.Name, body, existing, target.Status).DeepClone().AsObject();
                    }
                }

                if (code == 404)
                {
                    await WriteStatusAsync(context, 404, "NotFound", $"{target.Resource} \"{target.Name}\" not found");
                }
                else if (code == 409)
                {
                    await WriteStatusAsync(context, 409, "Conflict",
                        $"Operation cannot be fulfilled on {target.Resource} \"{target.Name}\": the object has been modified; please apply your changes to the latest version and try again");
                }
                else
                {
                    await WriteJsonAsync(context, 200, result!);
                }

                return;
            }

            case "DELETE" when target.Name is not null:
            {
                JsonObject? deleted;
                lock (_lock)
                {
                    deleted = DeleteLocked(target.Resource, target.Namespace, target.Name);
                }

                if (deleted is null)
                {
                    await WriteStatusAsync(context, 404, "NotFound", $"{target.Resource} \"{target.Name}\" not found");
                }
                else
                {
                    await WriteJsonAsync(context, 200, deleted);
                }

                return;
            }

            default:
                await WriteStatusAsync(context, 405, "MethodNotAllowed", request.Method + " is not supported here");
                return;
        }
    }

    private async Task ListAsync(HttpContext context, Target target)
    {
        var query = context.Request.Query;
        var limit = int.TryParse(query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var offset = 0;
        string listRv;
        JsonArray items;
        string? next = null;
        lock (_lock)
        {
            listRv = Rv(_rv);
            if (query["continue"] is { Count: > 0 } token && token[0] is { Length: > 0 } text)
            {
                var parts = text.Split(':');
                if (long.Parse(parts[0], CultureInfo.InvariantCulture) < _compactedBelow)
                {
                    items = [];
                    goto expired;
                }

                listRv = parts[0];
                offset = int.Parse(parts[1], CultureInfo.InvariantCulture);
            }

            var matching = Matching(target, query["labelSelector"], query["fieldSelector"]).ToList();
            items = [];
            foreach (var obj in matching.Skip(offset).Take(limit))
            {
                var item = obj.DeepClone().AsObject();
                item.Remove("apiVersion");
                item.Remove("kind");
                items.Add(item);
            }

            if (offset + limit < matching.Count)
            {
                next = listRv + ":" + (offset + limit).ToString(CultureInfo.InvariantCulture);
            }
        }

        var (apiVersion, kind) = KindOf(target.Resource);
        var metadata = new JsonObject { ["resourceVersion"] = listRv };
        if (next is not null)
        {
            metadata["continue"] = next;
        }

        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = kind + "List",
            ["apiVersion"] = apiVersion,
            ["metadata"] = metadata,
            ["items"] = items,
        });
        return;

    expired:
        await WriteStatusAsync(context, 410, "Expired", "The provided continue parameter is too old to display a consistent list result.");
    }

    private async Task WatchAsync(HttpContext context, Target target)
    {
        var query = context.Request.Query;
        var from = long.TryParse(query["resourceVersion"], out var v) ? v : 0;
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        var (apiVersion, kind) = KindOf(target.Resource);
        var watcher = new Watcher(target, query["labelSelector"], query["fieldSelector"], apiVersion, kind);
        bool gone;
        lock (_lock)
        {
            gone = from != 0 && from < _compactedBelow - 1;
            if (!gone)
            {
                foreach (var (rv, resource, type, obj) in _history)
                {
                    if (rv > from && resource == target.Resource && watcher.Selects(obj))
                    {
                        watcher.Events.Writer.TryWrite(Line(type, obj));
                    }
                }

                _watchers.Add(watcher);
            }
        }

        if (gone && GoneAsHttpStatus)
        {
            await WriteStatusAsync(context, 410, "Gone", $"too old resource version: {from} ({_compactedBelow - 1})");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        if (gone)
        {
            var status = StatusJson(410, "Expired", $"too old resource version: {from} ({_compactedBelow - 1})");
            await context.Response.WriteAsync(Line("ERROR", status));
            return;
        }

        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        end.CancelAfter(timeout);
        try
        {
            await foreach (var line in watcher.Events.Reader.ReadAllAsync(end.Token))
            {
                await context.Response.WriteAsync(line, end.Token);
                await context.Response.Body.FlushAsync(end.Token);
            }
        }
        catch (OperationCanceledException) when (watcher.Stalled && !context.RequestAborted.IsCancellationRequested)
        {
            // A dead connection does not end on time: hold it until the client gives up.
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds reached or the client went away: a normal end of the stream.
        }
        catch (IOException)
        {
            // Dropped by the test: break the connection instead of ending the chunked body cleanly.
            context.Abort();
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    // ---- storage (callers hold _lock) ----

    private JsonObject? Find(string resource, string ns, string name) =>
        _store.TryGetValue(resource, out var objects) && objects.TryGetValue(ns + "/" + name, out var obj) ? obj : null;

    private IEnumerable<JsonObject> Matching(Target target, string? labelSelector, string? fieldSelector)
    {
        if (!_store.TryGetValue(target.Resource, out var objects))
        {
            return [];
        }

        var filter = new Watcher(target, labelSelector, fieldSelector, "", "");
        return objects.Values.Where(filter.Selects);
    }

    private JsonObject CreateLocked(string resource, string ns, JsonObject obj)
    {
        var (apiVersion, kind) = KindOf(resource);
        obj["apiVersion"] ??= apiVersion;
        obj["kind"] ??= kind;
        var metadata = obj["metadata"]!.AsObject();
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["generation"] = 1L;
        metadata["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (resource == "/services" && obj["spec"] is JsonObject spec && spec["clusterIP"] is null)
        {
            // Like the API server's allocator: every Service but a headless one gets a cluster IP.
            spec["clusterIP"] = "10.96.0." + _nextIp++.ToString(CultureInfo.InvariantCulture);
        }

        if (!_store.TryGetValue(resource, out var objects))
        {
            objects = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _store[resource] = objects;
        }

        metadata["resourceVersion"] = Rv(++_rv);
        objects[ns + "/" + metadata["name"]!.GetValue<string>()] = obj;
        Publish(resource, "ADDED", obj);
        return obj;
    }

    private JsonObject ReplaceLocked(string resource, string ns, string name, JsonObject body, JsonObject existing, bool statusOnly)
    {
        JsonObject updated;
        if (statusOnly)
        {
            updated = existing.DeepClone().AsObject();
            updated["status"] = body["status"]?.DeepClone();
        }
        else
        {
            // The main resource never changes status; metadata the server owns is kept.
            updated = body.DeepClone().AsObject();
            var metadata = updated["metadata"]!.AsObject();
            var old = existing["metadata"]!.AsObject();
            metadata["uid"] = old["uid"]!.DeepClone();
            metadata["creationTimestamp"] = old["creationTimestamp"]!.DeepClone();
            metadata["namespace"] = old["namespace"]?.DeepClone();
            var generation = long.Parse(old["generation"]!.ToJsonString(), CultureInfo.InvariantCulture);
            if (!JsonNode.DeepEquals(existing["spec"], updated["spec"]))
            {
                generation++;
            }

            metadata["generation"] = generation;
            updated["status"] = existing["status"]?.DeepClone();
            if (updated["status"] is null)
            {
                updated.Remove("status");
            }

            if (resource == "/services" && existing["spec"]?["clusterIP"] is { } ip && updated["spec"] is JsonObject spec && spec["clusterIP"] is null)
            {
                spec["clusterIP"] = ip.DeepClone();
            }
        }

        updated["metadata"]!["resourceVersion"] = Rv(++_rv);
        _store[resource][ns + "/" + name] = updated;
        Publish(resource, "MODIFIED", updated);
        return updated;
    }

    private JsonObject? DeleteLocked(string resource, string ns, string name)
    {
        if (!_store.TryGetValue(resource, out var objects) || !objects.Remove(ns + "/" + name, out var obj))
        {
            return null;
        }

        obj = obj.DeepClone().AsObject();
        obj["metadata"]!["resourceVersion"] = Rv(++_rv);
        Publish(resource, "DELETED", obj);
        return obj;
    }

    private void Publish(string resource, string type, JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        _history.Add((_rv, resource, type, copy));
        var line = Line(type, copy);
        foreach (var watcher in _watchers)
        {
            if (watcher.Target.Resource == resource && !watcher.Stalled && watcher.Selects(copy))
            {
                watcher.Events.Writer.TryWrite(line);
            }
        }
    }

    // ---- helpers ----

    private static string Rv(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    private static string Line(string type, JsonObject obj) =>
        new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject StatusJson(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message) =>
        WriteJsonAsync(context, code, StatusJson(code, reason, message));

    /// <summary>"group/plural" (core group empty): the storage key of a resource.</summary>
    private static readonly Dictionary<string, (string ApiVersion, string Kind)> Kinds = new(StringComparer.Ordinal)
    {
        ["/services"] = ("v1", "Service"),
        ["/secrets"] = ("v1", "Secret"),
        ["/namespaces"] = ("v1", "Namespace"),
        ["/serviceaccounts"] = ("v1", "ServiceAccount"),
        ["/configmaps"] = ("v1", "ConfigMap"),
        ["/pods"] = ("v1", "Pod"),
        ["discovery.k8s.io/endpointslices"] = ("discovery.k8s.io/v1", "EndpointSlice"),
        ["apps/deployments"] = ("apps/v1", "Deployment"),
        ["coordination.k8s.io/leases"] = ("coordination.k8s.io/v1", "Lease"),
        ["gateway.networking.k8s.io/gatewayclasses"] = ("gateway.networking.k8s.io/v1", "GatewayClass"),
        ["gateway.networking.k8s.io/gateways"] = ("gateway.networking.k8s.io/v1", "Gateway"),
        ["gateway.networking.k8s.io/httproutes"] = ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ["gateway.networking.k8s.io/grpcroutes"] = ("gateway.networking.k8s.io/v1", "GRPCRoute"),
        ["gateway.networking.k8s.io/backendtlspolicies"] = ("gateway.networking.k8s.io/v1", "BackendTLSPolicy"),
        ["gateway.networking.k8s.io/listenersets"] = ("gateway.networking.k8s.io/v1", "ListenerSet"),
        ["gateway.networking.k8s.io/referencegrants"] = ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
        // TLSRoute is served (every version path reaches the same store); TCPRoute is deliberately not, like a
        // cluster without its CRD, so controller tests also cover an optional kind that answers 404.
        ["gateway.networking.k8s.io/tlsroutes"] = ("gateway.networking.k8s.io/v1", "TLSRoute"),
    };

    private static readonly HashSet<string> ClusterScoped = new(StringComparer.Ordinal)
    {
        "/namespaces", "gateway.networking.k8s.io/gatewayclasses",
    };

    private static (string ApiVersion, string Kind) KindOf(string resource) => Kinds[resource];

    private static string ResourceOf(string apiVersion, string kind)
    {
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        foreach (var (resource, value) in Kinds)
        {
            if (value.Kind == kind && resource.StartsWith(group + "/", StringComparison.Ordinal))
            {
                return resource;
            }
        }

        throw new ArgumentException($"the test server does not know {apiVersion} {kind}");
    }

    private static (string Resource, string Namespace, string Name) Identify(JsonObject obj)
    {
        var resource = ResourceOf(obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>());
        var metadata = obj["metadata"]!.AsObject();
        var ns = ClusterScoped.Contains(resource) ? "" : metadata["namespace"]?.GetValue<string>() ?? "default";
        if (ns.Length > 0)
        {
            metadata["namespace"] = ns;
        }

        return (resource, ns, metadata["name"]!.GetValue<string>());
    }

    private static bool TryParsePath(string path, out Target target)
    {
        target = default;
        var segments = path.Trim('/').Split('/');
        string group;
        int rest;
        if (segments.Length >= 2 && segments[0] == "api" && segments[1] == "v1")
        {
            group = "";
            rest = 2;
        }
        else if (segments.Length >= 3 && segments[0] == "apis")
        {
            group = segments[1];
            rest = 3;
        }
        else
        {
            return false;
        }

        var tail = segments[rest..];
        var ns = "";
        if (tail.Length >= 3 && tail[0] == "namespaces")
        {
            ns = Uri.UnescapeDataString(tail[1]);
            tail = tail[2..];
        }

        if (tail.Length is < 1 or > 3 || (tail.Length == 3 && tail[2] != "status"))
        {
            return false;
        }

        var resource = group + "/" + tail[0];
        if (!Kinds.ContainsKey(resource))
        {
            return false;
        }

        target = new Target(resource, ns, tail.Length >= 2 ? Uri.UnescapeDataString(tail[1]) : null, tail.Length == 3);
        return true;
    }

    private readonly record struct Target(string Resource, string Namespace, string? Name, bool Status);

    private sealed class Watcher(Target target, string? labelSelector, string? fieldSelector, string apiVersion, string kind)
    {
        public Target Target { get; } = target;

        public string ApiVersion { get; } = apiVersion;

        public string Kind { get; } = kind;

        public Channel<string> Events { get; } = Channel.CreateUnbounded<string>();

        public bool Stalled { get; set; }

        public bool Selects(JsonObject obj)
        {
            var metadata = obj["metadata"] as JsonObject;
            var ns = metadata?["namespace"]?.GetValue<string>() ?? "";
            if (Target.Namespace.Length > 0 && ns != Target.Namespace)
            {
                return false;
            }

            foreach (var (key, value) in Pairs(labelSelector))
            {
                if (metadata?["labels"]?[key]?.GetValue<string>() != value)
                {
                    return false;
                }
            }

            foreach (var (key, value) in Pairs(fieldSelector))
            {
                var actual = key switch
                {
                    "metadata.name" => metadata?["name"]?.GetValue<string>(),
                    "metadata.namespace" => ns,
                    "type" => obj["type"]?.GetValue<string>(),
                    _ => null,
                };
                if (actual != value)
                {
                    return false;
                }
            }

            return true;
        }

        private static IEnumerable<(string Key, string Value)> Pairs(string? selector)
        {
            if (string.IsNullOrEmpty(selector))
            {
                yield break;
            }

            foreach (var part in selector.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                yield return eq < 0 ? (part, "") : (part[..eq].TrimEnd('='), part[(eq + 1)..].TrimStart('='));
            }
        }
    }
}
