using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Kubernetes.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshway.Kubernetes.Tests.Client;

/// <summary>The client's TLS: the cluster CA is trusted exactly, tls-server-name, insecure mode, client certificates.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private X509Certificate2 _serverCert = null!;
    private WebApplication _app = null!;
    private Uri _server = null!;
    private string? _clientSubject;

    private static X509Certificate2 Certificate(string cn, Action<SubjectAlternativeNameBuilder> sans, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        sans(san);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async Task InitializeAsync()
    {
        // Issued for the in-cluster name only, not for 127.0.0.1.
        _serverCert = Certificate("kube-apiserver", s => s.AddDnsName("kubernetes.default.svc"), serverAuth: true);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(h =>
        {
            h.ServerCertificate = _serverCert;
            h.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            h.AllowAnyClientCertificate();
        })));
        _app = builder.Build();
        _app.Run(context =>
        {
            _clientSubject = context.Connection.ClientCertificate?.Subject;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}""");
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _server = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _serverCert.Dispose();
    }

    private async Task<string> ListAsync(KubeClientConfig config)
    {
        using var client = new KubeApiClient(config);
        return (await client.ListAsync(ResourceKind.Services, null, default, 10, CancellationToken.None)).ResourceVersion;
    }

    [Fact]
    public async Task ClusterCaAndTlsServerName_Connect_AndTheClientCertificateIsPresented()
    {
        using var clientCert = Certificate("system:admin", s => s.AddDnsName("admin"), serverAuth: false);
        var config = new KubeClientConfig
        {
            Server = _server,
            CaCertificates = [X509CertificateLoader.LoadCertificate(_serverCert.RawData)],
            TlsServerName = "kubernetes.default.svc",
            ClientCertificate = clientCert,
        };

        Assert.Equal("7", await ListAsync(config));
        Assert.Equal("CN=system:admin", _clientSubject);
    }

    [Fact]
    public async Task NameMismatchWithoutTlsServerName_IsRefused()
    {
        var config = new KubeClientConfig { Server = _server, CaCertificates = [X509CertificateLoader.LoadCertificate(_serverCert.RawData)] };

        var ex = await Assert.ThrowsAsync<KubeApiException>(() => ListAsync(config));
        Assert.Equal("Unreachable", ex.Reason);
    }

    [Fact]
    public async Task AnotherCa_IsRefused_EvenWithTheRightName()
    {
        using var other = Certificate("other-ca", s => s.AddDnsName("kubernetes.default.svc"), serverAuth: true);
        var config = new KubeClientConfig { Server = _server, CaCertificates = [X509CertificateLoader.LoadCertificate(other.RawData)], TlsServerName = "kubernetes.default.svc" };

        await Assert.ThrowsAsync<KubeApiException>(() => ListAsync(config));
    }

    [Fact]
    public async Task InsecureSkipTlsVerify_ConnectsToAnyCertificate()
    {
        Assert.Equal("7", await ListAsync(new KubeClientConfig { Server = _server, InsecureSkipTlsVerify = true }));
    }
}
