using System.Diagnostics;
using System.Net.Security;
using Meshway.Mtls.Identity;
using Meshway.Mtls.Management;
using Meshway.Mtls.Tests.Infrastructure;
using Meshway.Mtls.Tls;
using Meshway.Mtls.Trust;
using Xunit.Abstractions;

namespace Meshway.Mtls.Tests.Tls;

/// <summary>Runs alone: it counts handshakes against the clock, so it should not share the CPU with other tests.</summary>
[CollectionDefinition(nameof(RotationHandshakeCollection), DisableParallelization = true)]
public sealed class RotationHandshakeCollection
{
}

/// <summary>
/// Issue 5, acceptance 2: both sides take short-lived certificates from the Node CA and rotate at
/// half life while a loop of mTLS handshakes runs; every handshake must succeed.
/// </summary>
[Collection(nameof(RotationHandshakeCollection))]
public sealed class RotationHandshakeTests(ITestOutputHelper output) : IDisposable
{
    private const int MinHandshakes = 1000;
    private const int MinRotations = 2;
    private const int Concurrency = 4;
    private static readonly TimeSpan Validity = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);
    private static readonly SpiffeId ServerId = SpiffeId.Parse("spiffe://cluster.local/ns/mesh/sa/waypoint");
    private static readonly SpiffeId ClientId = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/frontend");
    private static readonly SslApplicationProtocol[] H2 = [SslApplicationProtocol.Http2];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Handshakes_AcrossCertificateRotations_ZeroFailures()
    {
        await using var ca = await NodeCa.StartAsync(_dir.File("ca"));
        var serverLog = new ListLogger<CertificateManager>();
        var clientLog = new ListLogger<CertificateManager>();
        await using var serverCerts = CaSetup.Manager(ca.Address, ca.RootPath, TestTokens.WriteFile(_dir.Path, "mesh", "waypoint"), ServerId, Validity, serverLog);
        await using var clientCerts = CaSetup.Manager(ca.Address, ca.RootPath, TestTokens.WriteFile(_dir.Path, "shop", "frontend"), ClientId, Validity, clientLog);
        serverCerts.Start();
        clientCerts.Start();
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await serverCerts.WaitUntilAvailableAsync(ready.Token);
            await clientCerts.WaitUntilAvailableAsync(ready.Token);
        }

        using var trust = TrustBundleSource.FromFile(ca.RootPath, TimeSpan.Zero);
        await using var server = new LoopbackTlsServer(new MeshTlsServer(serverCerts, trust, "cluster.local", H2));
        var client = new MeshTlsClient(clientCerts, trust);
        var startRotations = (Server: serverCerts.Rotations, Client: clientCerts.Rotations);

        var handshakes = 0;
        var failures = 0;
        var errors = new List<string>();
        var serverSerials = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        bool Done() => Volatile.Read(ref handshakes) >= MinHandshakes
            && serverCerts.Rotations - startRotations.Server >= MinRotations
            && clientCerts.Rotations - startRotations.Client >= MinRotations;

        // A few concurrent loops, each a fresh TCP + TLS 1.3 mutual handshake per iteration.
        var loops = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (!Done() && clock.Elapsed < Bound)
            {
                try
                {
                    var (identity, serial, alpn) = await server.HandshakeAsync(client.CreateOptions([ServerId], H2));
                    Assert.Equal(ServerId, identity);
                    Assert.Equal(SslApplicationProtocol.Http2, alpn);
                    lock (serverSerials)
                    {
                        serverSerials.Add(serial);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failures);
                    lock (errors)
                    {
                        errors.Add(ex.GetBaseException().Message);
                    }
                }

                Interlocked.Increment(ref handshakes);
            }
        })).ToArray();
        await Task.WhenAll(loops);

        output.WriteLine($"{handshakes} handshakes in {clock.Elapsed.TotalSeconds:0.0}s; server rotations {serverCerts.Rotations - startRotations.Server}, client rotations {clientCerts.Rotations - startRotations.Client}; server serials seen {serverSerials.Count}; failures {failures}; server-side failures {server.Failures}");
        Assert.True(failures == 0, $"{failures} client handshake failures: {string.Join(" | ", errors.Distinct().Take(5))}");
        Assert.True(server.Failures == 0, $"{server.Failures} server handshake failures: {string.Join(" | ", server.Errors.Distinct().Take(5))}");
        Assert.True(handshakes >= MinHandshakes, $"only {handshakes} handshakes within {Bound}");
        Assert.True(serverCerts.Rotations - startRotations.Server >= MinRotations, "the server certificate did not rotate twice");
        Assert.True(clientCerts.Rotations - startRotations.Client >= MinRotations, "the client certificate did not rotate twice");
        // The loop really ran across the rotations: clients saw at least three server certificates.
        Assert.True(serverSerials.Count >= MinRotations + 1, $"clients saw only {serverSerials.Count} server certificates");
        Assert.Equal(0, serverCerts.GetStatus().Failures);
        Assert.Equal(0, clientCerts.GetStatus().Failures);
    }
}
