using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Meshway.Mtls.CaClient.Proto;
using Meshway.Mtls.Identity;

namespace Meshway.Mtls.CaClient;

/// <summary>
/// Client of istiod's <c>IstioCertificateService.CreateCertificate</c>: one unary gRPC call over
/// HTTP/2 + TLS, framed by hand on <see cref="HttpClient"/> (Grpc.Net.Client is not available).
/// The CA's certificate is verified against the mesh roots only, never the system store.
/// </summary>
public sealed class IstioCaClient : ICertificateAuthorityClient, IDisposable
{
    private const string MethodPath = "/istio.v1.auth.IstioCertificateService/CreateCertificate";

    private readonly IstioCaClientOptions _options;
    private readonly HttpMessageInvoker _invoker;
    private readonly Uri _uri;
    private string? _lastServerCertificateError;

    public IstioCaClient(IstioCaClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _uri = new Uri($"https://{options.Address}{MethodPath}", UriKind.Absolute);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            // Pick up a changed CA address resolution and server certificate now and then.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public string Description => _options.Address;

    public async Task<IReadOnlyList<string>> CreateCertificateAsync(string csrPem, TimeSpan validity, CancellationToken cancellationToken)
    {
        // 1. The token is rotated in place by the kubelet: read it fresh for every call.
        var token = ServiceAccountToken.Read(_options.TokenPath);

        // 2. Request message, framed.
        var message = new IstioCertificateRequest
        {
            Csr = csrPem,
            ValidityDuration = (long)validity.TotalSeconds,
            Metadata = new Struct(),
        };
        using var content = new ByteArrayContent(GrpcFrame.Write(message.ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var request = new HttpRequestMessage(HttpMethod.Post, _uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("clusterid", _options.ClusterId);
        var timeoutMs = Math.Max(1, (long)_options.Timeout.TotalMilliseconds);
        request.Headers.TryAddWithoutValidation("grpc-timeout", $"{Math.Min(timeoutMs, 99_999_999)}m");

        // 3. Send and read the whole response under one local deadline.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _invoker.SendAsync(request, deadline.Token).ConfigureAwait(false);
            body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CertificateProvisioningException(
                $"the mesh CA at {_options.Address} did not answer within {_options.Timeout.TotalSeconds:0.###}s (deadline exceeded)");
        }
        catch (HttpRequestException ex)
        {
            // A TLS rejection by our own callback says only "rejected"; add the reason we found.
            var reason = ex.InnerException is System.Security.Authentication.AuthenticationException
                && Volatile.Read(ref _lastServerCertificateError) is { } certificateError
                ? $"{Describe(ex)} ({certificateError})"
                : Describe(ex);
            throw new CertificateProvisioningException($"cannot reach the mesh CA at {_options.Address}: {reason}", ex);
        }

        using (response)
        {
            return ReadResponse(response, body);
        }
    }

    /// <summary>gRPC status DEADLINE_EXCEEDED.</summary>
    private const int GrpcDeadlineExceeded = 4;

    public void Dispose() => _invoker.Dispose();

    private IReadOnlyList<string> ReadResponse(HttpResponseMessage response, byte[] body)
    {
        // 4. HTTP status first: a gRPC server always answers 200, even for errors.
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new CertificateProvisioningException(
                $"the mesh CA at {_options.Address} answered HTTP {(int)response.StatusCode}, not a gRPC response");
        }

        // 5. grpc-status is a trailer, or a header in a trailers-only response.
        var status = HeaderValue(response.TrailingHeaders, "grpc-status") ?? HeaderValue(response.Headers, "grpc-status");
        if (status is null)
        {
            throw new CertificateProvisioningException($"the mesh CA at {_options.Address} sent no grpc-status");
        }

        if (!int.TryParse(status, out var code))
        {
            throw new CertificateProvisioningException($"the mesh CA at {_options.Address} sent an invalid grpc-status '{status}'");
        }

        if (code == GrpcDeadlineExceeded)
        {
            // The server enforced the grpc-timeout we sent before our own timer fired: the same deadline.
            throw new CertificateProvisioningException(
                $"the mesh CA at {_options.Address} did not answer within {_options.Timeout.TotalSeconds:0.###}s (deadline exceeded)");
        }

        if (code != 0)
        {
            var detail = HeaderValue(response.TrailingHeaders, "grpc-message") ?? HeaderValue(response.Headers, "grpc-message");
            detail = detail is null ? string.Empty : ": " + Uri.UnescapeDataString(detail);
            throw new CertificateProvisioningException(
                $"the mesh CA at {_options.Address} refused the request: {GrpcStatusCode.Name(code)}{detail}");
        }

        // 6. Exactly one message, decoded with the generated parser.
        if (!GrpcFrame.TryReadSingle(body, out var payload, out var frameError))
        {
            throw new CertificateProvisioningException($"the mesh CA at {_options.Address} sent a malformed response: {frameError}");
        }

        try
        {
            var reply = IstioCertificateResponse.Parser.ParseFrom(payload.Span);
            return reply.CertChain;
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CertificateProvisioningException(
                $"the mesh CA at {_options.Address} sent a response that is not an IstioCertificateResponse: {ex.Message}");
        }
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // The name check is the platform's (DNS or IP SAN against the address host); the chain
        // check is ours, against the mesh roots only.
        if (certificate is null)
        {
            Volatile.Write(ref _lastServerCertificateError, "the CA presented no certificate");
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            Volatile.Write(ref _lastServerCertificateError, $"the CA certificate is not valid for host '{_uri.Host}'");
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (!_options.Trust.Current.Verify(leaf, chain?.ChainPolicy.ExtraStore, DateTime.UtcNow, out var error))
        {
            Volatile.Write(ref _lastServerCertificateError, $"the CA certificate does not chain to the mesh root: {error}");
            return false;
        }

        return true;
    }

    private static string? HeaderValue(HttpHeaders headers, string name)
        => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Describe(Exception ex)
    {
        // HttpRequestException wraps the useful part (connection refused, TLS failure) inside.
        var parts = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (parts.Count == 0 || !parts[^1].Contains(e.Message, StringComparison.Ordinal))
            {
                parts.Add(e.Message);
            }
        }

        return string.Join(" -> ", parts);
    }
}
