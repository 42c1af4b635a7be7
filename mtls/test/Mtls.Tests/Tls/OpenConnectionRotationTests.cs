using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Provisioning;
using Meshway.Mtls.Tests.Infrastructure;
using Meshway.Mtls.Tls;

namespace Meshway.Mtls.Tests.Tls;

/// <summary>Atomic swap: new handshakes take the new certificate, a connection opened before keeps working.</summary>
public sealed class OpenConnectionRotationTests : IDisposable
{
    private static readonly SpiffeId ServerId = SpiffeId.Parse("spiffe://cluster.local/ns/mesh/sa/waypoint");
    private static readonly SpiffeId ClientId = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/frontend");
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];
    private readonly TempDirectory _dir = new();
    private readonly DevCertificateAuthority _ca = new();

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Rotation_OpenConnectionKeepsOldCertificate_NewConnectionGetsNew()
    {
        var first = await WriteServerFilesAsync();
        using var files = new FileCertificateSource(_dir.Path, ServerId, TimeSpan.FromMilliseconds(100));
        await using var serverCerts = new CertificateManager(files, CaSetup.FastRetries);
        serverCerts.Start();
        await serverCerts.WaitUntilAvailableAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        await using var clientCerts = await MeshTlsTests.StartedManagerAsync(_ca, ClientId);
        var tls = new MeshTlsServer(serverCerts, _ca.Trust, "cluster.local", H2);
        var client = new MeshTlsClient(clientCerts, _ca.Trust);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var echo = Task.Run(async () =>
        {
            var served = new List<Task>();
            for (var i = 0; i < 2; i++)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                served.Add(EchoAsync(socket, tls, stop.Token));
            }

            await Task.WhenAll(served);
        });

        await using var before = await ConnectAsync(port, client);
        Assert.Equal(first.SerialNumber, ((X509Certificate2)before.RemoteCertificate!).SerialNumber);
        await AssertEchoAsync(before, 1);

        var second = await WriteServerFilesAsync();
        Assert.True(await Eventually.TrueAsync(() => serverCerts.Current!.SerialNumber == second.SerialNumber, TimeSpan.FromSeconds(10)));

        await using var after = await ConnectAsync(port, client);
        Assert.Equal(second.SerialNumber, ((X509Certificate2)after.RemoteCertificate!).SerialNumber);
        await AssertEchoAsync(after, 2);
        // The connection made before the rotation still carries traffic on the old certificate.
        await AssertEchoAsync(before, 3);
        Assert.Equal(first.SerialNumber, ((X509Certificate2)before.RemoteCertificate!).SerialNumber);

        before.Close();
        after.Close();
        await echo;
    }

    private async Task<WorkloadCertificate> WriteServerFilesAsync()
    {
        using var csr = CertificateSigningRequest.Create(ServerId);
        var chain = await _ca.CreateCertificateAsync(csr.Pem, TimeSpan.FromHours(1), default);
        var cert = ChainValidator.Validate(chain, csr.Key, ServerId, "cluster.local", DateTimeOffset.UtcNow);
        File.WriteAllText(Path.Combine(_dir.Path, "root-cert.pem"), _ca.RootPem);
        File.WriteAllText(Path.Combine(_dir.Path, "key.pem"), cert.KeyPem);
        File.WriteAllText(Path.Combine(_dir.Path, "cert-chain.pem"), cert.ChainPem);
        return cert;
    }

    private static async Task<SslStream> ConnectAsync(int port, MeshTlsClient client)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(client.CreateOptions([ServerId], H2));
        return ssl;
    }

    private static async Task AssertEchoAsync(SslStream ssl, byte value)
    {
        await ssl.WriteAsync(new[] { value });
        var buffer = new byte[1];
        Assert.Equal(1, await ssl.ReadAsync(buffer));
        Assert.Equal(value, buffer[0]);
    }

    private static async Task EchoAsync(Socket socket, MeshTlsServer tls, CancellationToken cancellationToken)
    {
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await ssl.AuthenticateAsServerAsync(tls.SelectOptionsAsync, null, cancellationToken);
        var buffer = new byte[1];
        while (await ssl.ReadAsync(buffer, cancellationToken) == 1)
        {
            await ssl.WriteAsync(buffer, cancellationToken);
        }
    }
}
