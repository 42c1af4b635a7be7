using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshway.Kubernetes.Client;

/// <summary>Label and field selectors for list and watch (empty strings mean none).</summary>
public readonly record struct ListSelector(string? LabelSelector = null, string? FieldSelector = null);

/// <summary>A complete list: every item (as raw JSON) and the collection resourceVersion to watch from.</summary>
public sealed record ListResult(IReadOnlyList<JsonElement> Items, string ResourceVersion);

/// <summary>
/// A small Kubernetes REST client on HttpClient: paginated list, watch streams, get/create/replace/delete and
/// the status subresource. Objects travel as JSON (JsonElement/JsonObject) so nothing a newer API server adds
/// is lost on a read-modify-write; typing happens in the informers. Errors become <see cref="KubeApiException"/>.
/// </summary>
public sealed class KubeApiClient : IDisposable
{
    /// <summary>Requests for single objects and list pages: an API server that takes longer is in trouble.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly KubeClientConfig _config;
    private long _requests;
    private long _writes;

    public KubeApiClient(KubeClientConfig config)
    {
        _config = config;
        var handler = new SocketsHttpHandler
        {
            // New API server endpoints (rolling upgrades, DNS changes) are picked up by recycling connections.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.GZip,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        if (config.ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { config.ClientCertificate };
        }

        _http = new HttpClient(handler) { BaseAddress = config.Server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("meshway", "1.0"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public KubeClientConfig Config => _config;

    /// <summary>Requests sent so far (lists, watches, gets, writes): lets tests and metrics see what idling costs.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Create/replace/status/delete requests sent so far.</summary>
    public long WriteCount => Interlocked.Read(ref _writes);

    /// <summary>
    /// Lists every object, page by page (limit/continue). If the continue token expires mid-way (410), the
    /// list starts over: a list stitched from two different resourceVersions would not be a consistent view.
    /// </summary>
    public async Task<ListResult> ListAsync(ResourceKind kind, string? @namespace, ListSelector selector, int pageSize, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var items = new List<JsonElement>();
            string? continueToken = null;
            string resourceVersion = "";
            try
            {
                do
                {
                    var query = new StringBuilder("?limit=").Append(pageSize);
                    AppendSelector(query, selector);
                    if (continueToken is not null)
                    {
                        query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
                    }

                    using var document = await SendForDocumentAsync(HttpMethod.Get, kind.CollectionPath(@namespace) + query, null, cancellationToken);
                    var root = document.RootElement;
                    if (root.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in array.EnumerateArray())
                        {
                            items.Add(item.Clone());
                        }
                    }

                    continueToken = null;
                    if (root.TryGetProperty("metadata", out var meta))
                    {
                        if (meta.TryGetProperty("resourceVersion", out var rv) && rv.ValueKind == JsonValueKind.String)
                        {
                            resourceVersion = rv.GetString() ?? "";
                        }

                        if (meta.TryGetProperty("continue", out var next) && next.ValueKind == JsonValueKind.String && next.GetString() is { Length: > 0 } token)
                        {
                            continueToken = token;
                        }
                    }
                }
                while (continueToken is not null);

                return new ListResult(items, resourceVersion);
            }
            catch (KubeApiException ex) when (ex.IsGone && continueToken is not null && attempt < 3)
            {
                // The continue token expired between pages: start the list again.
            }
        }
    }

    /// <summary>
    /// Opens a watch from <paramref name="resourceVersion"/> (with bookmarks) and yields its events until the
    /// server ends the stream. An HTTP error (410 Gone included) is thrown as <see cref="KubeApiException"/>;
    /// ERROR events are yielded so the caller can tell "too old" (code 410) from other failures.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        ResourceKind kind,
        string? @namespace,
        ListSelector selector,
        string resourceVersion,
        TimeSpan serverTimeout,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = new StringBuilder("?watch=1&allowWatchBookmarks=true");
        query.Append("&resourceVersion=").Append(Uri.EscapeDataString(resourceVersion));
        query.Append("&timeoutSeconds=").Append((int)serverTimeout.TotalSeconds);
        AppendSelector(query, selector);
        using var response = await SendAsync(HttpMethod.Get, kind.CollectionPath(@namespace) + query, null, HttpCompletionOption.ResponseHeadersRead, null, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            WatchEvent watchEvent;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
                var obj = root.TryGetProperty("object", out var o) ? o.Clone() : default;
                watchEvent = new WatchEvent(type switch
                {
                    "ADDED" => WatchEventType.Added,
                    "MODIFIED" => WatchEventType.Modified,
                    "DELETED" => WatchEventType.Deleted,
                    "BOOKMARK" => WatchEventType.Bookmark,
                    "ERROR" => WatchEventType.Error,
                    _ => throw new KubeApiException(0, "BadWatchEvent", $"watch of {kind} sent an event of unknown type \"{type}\""),
                }, obj);
            }
            catch (JsonException ex)
            {
                // A torn line means the connection broke mid-event: the caller resumes from the last good version.
                throw new KubeApiException(0, "BadWatchEvent", $"watch of {kind} sent a line that is not JSON: {ex.Message}", ex);
            }

            yield return watchEvent;
        }
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(ResourceKind kind, string? @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await SendForObjectAsync(HttpMethod.Get, kind.ObjectPath(@namespace, name), null, cancellationToken);
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    public Task<JsonObject> CreateAsync(ResourceKind kind, string? @namespace, JsonObject body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return SendForObjectAsync(HttpMethod.Post, kind.CollectionPath(@namespace), body, cancellationToken);
    }

    /// <summary>PUT of the whole object; metadata.resourceVersion in <paramref name="body"/> makes it conditional (409 if stale).</summary>
    public Task<JsonObject> ReplaceAsync(ResourceKind kind, string? @namespace, string name, JsonObject body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return SendForObjectAsync(HttpMethod.Put, kind.ObjectPath(@namespace, name), body, cancellationToken);
    }

    /// <summary>PUT to the status subresource (only .status is taken; 409 when metadata.resourceVersion is stale).</summary>
    public Task<JsonObject> ReplaceStatusAsync(ResourceKind kind, string? @namespace, string name, JsonObject body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return SendForObjectAsync(HttpMethod.Put, kind.ObjectPath(@namespace, name) + "/status", body, cancellationToken);
    }

    /// <summary>Deletes the object; false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceKind kind, string? @namespace, string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        try
        {
            using var _ = await SendForDocumentAsync(HttpMethod.Delete, kind.ObjectPath(@namespace, name), null, cancellationToken);
            return true;
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    private static void AppendSelector(StringBuilder query, ListSelector selector)
    {
        if (!string.IsNullOrEmpty(selector.LabelSelector))
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(selector.LabelSelector));
        }

        if (!string.IsNullOrEmpty(selector.FieldSelector))
        {
            query.Append("&fieldSelector=").Append(Uri.EscapeDataString(selector.FieldSelector));
        }
    }

    private async Task<JsonObject> SendForObjectAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendAsync(method, path, body, HttpCompletionOption.ResponseContentRead, timeout, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return JsonNode.Parse(text) as JsonObject
            ?? throw new KubeApiException((int)response.StatusCode, "BadResponse", $"{method} {path}: the response is not a JSON object");
    }

    private async Task<JsonDocument> SendForDocumentAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendAsync(method, path, body, HttpCompletionOption.ResponseContentRead, timeout, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await JsonDocument.ParseAsync(stream, default, timeout.Token);
    }

    /// <summary>Sends with auth; a 401 with a file token re-reads the file once (the kubelet may just have rotated it).</summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, JsonObject? body, HttpCompletionOption completion, CancellationTokenSource? timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (_config.Token is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.GetToken());
            }

            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            Interlocked.Increment(ref _requests);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, timeout?.Token ?? cancellationToken);
            }
            catch (OperationCanceledException) when (timeout is not null && !cancellationToken.IsCancellationRequested)
            {
                throw new KubeApiException(0, "Timeout", $"{method} {path}: no answer from {_config.Server} within {RequestTimeout.TotalSeconds:F0}s");
            }
            catch (HttpRequestException ex)
            {
                throw new KubeApiException(0, "Unreachable", $"{method} {path}: {_config.Server} is unreachable: {ex.Message}", ex);
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && _config.Token?.Path is not null)
                {
                    _config.Token.Invalidate();
                    continue;
                }

                throw await ToExceptionAsync(method, path, response, cancellationToken);
            }
        }
    }

    private static async Task<KubeApiException> ToExceptionAsync(HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            text = "";
        }

        var (reason, message) = ParseStatus(text);
        return new KubeApiException(code, reason ?? response.StatusCode.ToString(), $"{method} {path}: {code} {message ?? response.ReasonPhrase}");
    }

    /// <summary>Reads reason and message of a metav1.Status body (what API errors and watch ERROR events carry).</summary>
    public static (string? Reason, string? Message) ParseStatus(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject status)
            {
                return (status["reason"]?.GetValue<string>(), status["message"]?.GetValue<string>());
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
        }

        return (null, null);
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_config.InsecureSkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        using var leaf = new X509Certificate2(certificate);
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            // tls-server-name: the certificate is checked against that name instead of the URL's host.
            if (_config.TlsServerName is null || !leaf.MatchesHostname(_config.TlsServerName))
            {
                return false;
            }
        }

        if (_config.CaCertificates.Count == 0)
        {
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        }

        // A cluster CA: trust exactly it, not the system roots.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(_config.CaCertificates);
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(leaf);
    }
}
