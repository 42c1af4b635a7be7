using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshway.Routing.Backends;

namespace Meshway.DataPlane.Transport;

/// <summary>
/// BackendTLSPolicy origination in front of another transport: a backend with <see cref="BackendModel.Tls"/>
/// is reached over TLS with the policy's SNI, and its certificate must chain to the policy's CAs (or the
/// system roots) and carry one of the expected names (subjectAltNames, else the hostname); everything else
/// goes to the inner transport unchanged. One pooled handler per distinct TLS setting (by
/// <see cref="BackendTlsModel.Key"/>), so reloads that keep a policy keep its connections.
/// </summary>
public sealed class TlsOriginationTransport : IBackendTransport, IDisposable
{
    private const string SubjectAltNameOid = "2.5.29.17";

    private readonly IBackendTransport _inner;
    private readonly bool _ownsInner;
    private readonly TimeSpan _connectTimeout;
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _invokers = new(StringComparer.Ordinal);

    // With a Gateway client certificate: pools per certificate (SHA-256 thumbprint, computed once per
    // certificate object) then per TLS setting, so a certificate never rides on another one's connections.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, string> _thumbprints = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HttpMessageInvoker>> _invokersByClient = new(StringComparer.Ordinal);

    public TlsOriginationTransport(IBackendTransport inner, bool ownsInner, TimeSpan? connectTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _ownsInner = ownsInner;
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5);
    }

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendProtocol protocol) => _inner.GetInvoker(endpoint, protocol);

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendModel backend)
    {
        if (backend.Tls is not { } tls)
        {
            return _inner.GetInvoker(endpoint, backend);
        }

        return _invokers.TryGetValue(tls.Key, out var invoker) ? invoker : _invokers.GetOrAdd(tls.Key, _ => Create(tls, null));
    }

    public HttpMessageInvoker GetInvoker(EndpointModel endpoint, BackendModel backend, X509Certificate2 clientCertificate)
    {
        if (backend.Tls is not { } tls)
        {
            return _inner.GetInvoker(endpoint, backend, clientCertificate);
        }

        var thumbprint = _thumbprints.GetValue(clientCertificate, static c => c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
        var pools = _invokersByClient.TryGetValue(thumbprint, out var found)
            ? found
            : _invokersByClient.GetOrAdd(thumbprint, static _ => new ConcurrentDictionary<string, HttpMessageInvoker>(StringComparer.Ordinal));
        return pools.TryGetValue(tls.Key, out var invoker) ? invoker : pools.GetOrAdd(tls.Key, _ => Create(tls, clientCertificate));
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers.Values)
        {
            invoker.Dispose();
        }

        foreach (var pools in _invokersByClient.Values)
        {
            foreach (var invoker in pools.Values)
            {
                invoker.Dispose();
            }
        }

        if (_ownsInner && _inner is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private HttpMessageInvoker Create(BackendTlsModel tls, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            ConnectTimeout = _connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // TLS is set up here rather than through SslOptions: SocketsHttpHandler would take the SNI from the
            // request's Host (the client's host name), and the policy says the SNI is its own hostname. The
            // handler then speaks HTTP (or HTTP/2 with prior knowledge) over the verified stream.
            ConnectCallback = (context, cancellationToken) => ConnectAsync(tls, clientCertificate, context, cancellationToken),
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static async ValueTask<Stream> ConnectAsync(
        BackendTlsModel tls, X509Certificate2? clientCertificate, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            var ssl = new SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true));
            var http2 = context.InitialRequestMessage.Version.Major >= 2;
            try
            {
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = tls.Hostname,
                        ApplicationProtocols = [http2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11],
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) => Verify(tls, certificate, errors),
                        // The Gateway's spec.tls.backend certificate, whatever the server asks for: it is the only one we have.
                        LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                    },
                    cancellationToken);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }

            return ssl;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// 1. the chain: to the policy's CAs only (custom root trust), or the platform verdict for System;
    /// 2. the name: one expected DNS name matches a DNS SAN (wildcards per RFC 6125), or one expected URI
    ///    equals a URI SAN. The platform's own name check (against the SNI) is replaced by this one, since
    ///    subjectAltNames may name something other than the SNI.
    /// </summary>
    internal static bool Verify(BackendTlsModel tls, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var leaf = certificate as X509Certificate2 is { } c2 ? new X509Certificate2(c2) : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (tls.CaCertificates.IsEmpty)
        {
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                return false;
            }
        }
        else
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            foreach (var ca in tls.CaCertificates)
            {
                chain.ChainPolicy.CustomTrustStore.Add(ca);
            }

            if (!chain.Build(leaf))
            {
                return false;
            }
        }

        if (tls.DnsNames.IsEmpty && tls.Uris.IsEmpty)
        {
            return leaf.MatchesHostname(tls.Hostname, allowWildcards: true, allowCommonName: false);
        }

        foreach (var name in tls.DnsNames)
        {
            if (leaf.MatchesHostname(name, allowWildcards: true, allowCommonName: false))
            {
                return true;
            }
        }

        if (!tls.Uris.IsEmpty)
        {
            foreach (var uri in UriSans(leaf))
            {
                if (tls.Uris.Contains(uri))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>uniformResourceIdentifier ([6] IA5String) entries of the subjectAltName extension.</summary>
    private static List<string> UriSans(X509Certificate2 certificate)
    {
        var result = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag == uriTag)
                    {
                        result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                // A malformed extension names nothing.
            }
        }

        return result;
    }
}
