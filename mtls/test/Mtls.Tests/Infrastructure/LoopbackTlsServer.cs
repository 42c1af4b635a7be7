using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Tls;

namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>
/// A TLS server on 127.0.0.1:0 that authenticates every connection with a <see cref="MeshTlsServer"/>,
/// records the client identity it saw, and answers one byte so the client knows the server side
/// completed too.
/// </summary>
public sealed class LoopbackTlsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MeshTlsServer _tls;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _failures;

    public LoopbackTlsServer(MeshTlsServer tls)
    {
        _tls = tls;
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    public int Failures => Volatile.Read(ref _failures);

    public ConcurrentQueue<string> Errors { get; } = new();

    public ConcurrentQueue<SpiffeId> ClientIdentities { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>
    /// One client handshake to this server; returns the server's identity and certificate serial
    /// as the client saw them. Throws if the handshake fails.
    /// </summary>
    public async Task<(SpiffeId Identity, string Serial, SslApplicationProtocol Alpn)> HandshakeAsync(SslClientAuthenticationOptions options, CancellationToken cancellationToken = default)
    {
        using var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(options, cancellationToken);
        var buffer = new byte[1];
        var read = await ssl.ReadAsync(buffer, cancellationToken);
        if (read != 1 || buffer[0] != 0x2A)
        {
            throw new IOException("the server closed the connection before acknowledging the handshake");
        }

        Assert.True(MeshPeerVerifier.TryGetPeerIdentity(ssl, out var identity));
        var serial = ((X509Certificate2)ssl.RemoteCertificate!).SerialNumber;
        return (identity, serial, ssl.NegotiatedApplicationProtocol);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await ssl.AuthenticateAsServerAsync(_tls.SelectOptionsAsync, null, timeout.Token);
            if (MeshPeerVerifier.TryGetPeerIdentity(ssl, out var client))
            {
                ClientIdentities.Enqueue(client);
            }

            await ssl.WriteAsync(new byte[] { 0x2A }, timeout.Token);
            await ssl.FlushAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _failures);
            Errors.Enqueue(ex.GetBaseException().Message);
            socket.Dispose();
        }
    }
}
