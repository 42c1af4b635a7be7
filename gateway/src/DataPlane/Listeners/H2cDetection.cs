using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Meshway.DataPlane.Listeners;

/// <summary>
/// Lets one plaintext socket serve both HTTP/1.1 and HTTP/2 with prior knowledge (h2c), as Envoy does.
/// Kestrel treats a cleartext Http1AndHttp2 endpoint as HTTP/1.1 only (it answers the HTTP/2 preface with
/// HTTP_1_1_REQUIRED) because it has no ALPN to decide with. This connection middleware peeks at the first
/// bytes without consuming them; when they are the HTTP/2 connection preface it supplies the decision
/// Kestrel would otherwise get from ALPN ("h2"). Requests keep their plaintext scheme: the pipeline takes
/// the scheme from the binding, not from the connection.
/// </summary>
internal static class H2cDetection
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>How long a new connection may stay silent before it is closed (Kestrel's header timeout only starts later).</summary>
    internal static TimeSpan FirstBytesTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware { get; } = next => async connection =>
    {
        bool isHttp2;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            wait.CancelAfter(FirstBytesTimeout);
            try
            {
                isHttp2 = await StartsWithPrefaceAsync(connection, wait.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
            {
                // Closed, reset or silent before sending a byte: nothing to serve.
                connection.Abort();
                return;
            }
        }

        if (isHttp2)
        {
            connection.Features.Set<ITlsApplicationProtocolFeature>(H2Alpn.Instance);
            connection.Features.Set<ITlsConnectionFeature>(NoCertificate.Instance);
        }

        await next(connection);
    };

    private static async ValueTask<bool> StartsWithPrefaceAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var verdict = Compare(buffer);
            // Examine everything, consume nothing: Kestrel reads the same bytes again.
            input.AdvanceTo(buffer.Start, verdict is null ? buffer.End : buffer.Start);
            if (verdict is { } decided)
            {
                return decided;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return false;
            }
        }
    }

    /// <summary>true: preface; false: not a preface; null: too few bytes to tell.</summary>
    private static bool? Compare(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface.AsSpan(0, length)))
        {
            return false;
        }

        return length == Preface.Length ? true : null;
    }

    private sealed class H2Alpn : ITlsApplicationProtocolFeature
    {
        public static H2Alpn Instance { get; } = new();

        public ReadOnlyMemory<byte> ApplicationProtocol { get; } = "h2"u8.ToArray();
    }

    private sealed class NoCertificate : ITlsConnectionFeature
    {
        public static NoCertificate Instance { get; } = new();

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set { }
        }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
