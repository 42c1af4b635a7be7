using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Meshway.DataPlane.Tests.Streams;

/// <summary>
/// A loopback backend that answers each line with "NAME:line", optionally behind its own TLS certificate (so a
/// client can tell the backend's certificate from a gateway's), and says "NAME:bye" when the client half-closes.
/// </summary>
internal sealed class LineEchoBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private LineEchoBackend(string name, X509Certificate2? certificate)
    {
        Name = name;
        Certificate = certificate;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    public X509Certificate2? Certificate { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted;

    public static LineEchoBackend Plain(string name) => new(name, null);

    public static LineEchoBackend Tls(string name) => new(name, SelfSigned(name + ".backend"));

    public static X509Certificate2 SelfSigned(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref Accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (Certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate });
                    stream = ssl;
                }

                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(Name + ":" + line + "\n"), _stop.Token);
                }

                // The client half-closed: still answer, then close.
                await stream.WriteAsync(Encoding.ASCII.GetBytes(Name + ":bye\n"), _stop.Token);
                if (stream is SslStream tls)
                {
                    await tls.ShutdownAsync();
                }
            }
            catch (Exception)
            {
                // A refused or reset client: nothing to answer.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Certificate?.Dispose();
        _stop.Dispose();
    }
}
