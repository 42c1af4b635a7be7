using Meshway.Admin;
using Meshway.DataPlane;
using Meshway.DataPlane.Transport;
using Meshway.Kubernetes.Models;
using Meshway.MeshIntegration.Hbone;
using Meshway.MeshIntegration.Transport;
using Meshway.Mtls;
using Meshway.Mtls.Setup;
using Meshway.Translation;
using Meshway.Translation.Status;
using Meshway.Waypoint.Gamma;
using Meshway.Waypoint.Runtime;
using Microsoft.Extensions.Logging;

namespace Meshway.Mesh;

/// <summary>
/// The mesh half of the executable, shared by `meshway run` and `meshway proxy` so both serve waypoints through
/// one code path: the optional mesh identity, the HBONE connector, the waypoint runtime (HBONE inbound on 15008)
/// and the ingress transport that reaches ambient endpoints over HBONE. Create it before the DataPlaneHost
/// (which takes <see cref="IngressTransport"/>) so that disposal runs host first, then the mesh parts.
/// </summary>
internal sealed class MeshServing : IAsyncDisposable
{
    private readonly MeshIdentity? _identity;
    private readonly HboneConnector? _connector;
    private readonly HboneBackendTransport? _transport;

    private MeshServing(MeshIdentity? identity, MeshIdentityStatus? status, HboneConnector? connector, WaypointRuntime waypoints, HboneBackendTransport? transport)
    {
        _identity = identity;
        Status = status;
        _connector = connector;
        Waypoints = waypoints;
        _transport = transport;
    }

    /// <summary>The waypoint runtime; without an identity it translates (status) but serves nothing and says why.</summary>
    public WaypointRuntime Waypoints { get; }

    /// <summary>For /status and /metrics; null without a mesh identity.</summary>
    public MeshIdentityStatus? Status { get; }

    /// <summary>The DataPlaneHost's backend transport: HBONE to ambient pods, plaintext otherwise; null without an identity.</summary>
    public IBackendTransport? IngressTransport => _transport;

    /// <summary>Builds the parts and starts fetching the certificate when <paramref name="identityOptions"/> is given.</summary>
    /// <exception cref="CertificateProvisioningException">The identity cannot be set up (missing files, bad trust domain, no token).</exception>
    public static MeshServing Create(MeshIdentityOptions? identityOptions, string bindAddress, ILoggerFactory loggers)
    {
        MeshIdentity? identity = null;
        MeshIdentityStatus? status = null;
        if (identityOptions is not null)
        {
            identity = MeshIdentity.Create(identityOptions, loggers);
            status = new MeshIdentityStatus(identity.Certificates); // before Start: the first certificate is a renewal too
            identity.Start();
        }

        var connector = identity is null ? null : new HboneConnector(identity.Client, loggers.CreateLogger<HboneConnector>());
        var waypoints = new WaypointRuntime(
            identity,
            connector,
            new WaypointTranslationOptions { DefaultBindAddress = bindAddress, TrustDomain = identityOptions?.TrustDomain ?? new WaypointTranslationOptions().TrustDomain },
            loggers);
        var transport = connector is null ? null : new HboneBackendTransport(new PlaintextTransport(), connector, waypoints.AmbientTarget);
        return new MeshServing(identity, status, connector, waypoints, transport);
    }

    /// <summary>Tunnelled requests are counted on the data plane's /metrics.</summary>
    public void Attach(DataPlaneHost host) => Waypoints.Metrics = host.Metrics;

    /// <summary>
    /// Applies the waypoint view of <paramref name="resources"/> and merges its status into the ingress result, so
    /// /status shows Gateways of both classes.
    /// </summary>
    public TranslationResult WithWaypoints(TranslationResult ingress, ResourceSet resources)
    {
        var waypointStatus = Waypoints.Apply(resources);
        return ingress with { Status = new StatusReport([.. ingress.Status.Items, .. waypointStatus.Items]) };
    }

    public async ValueTask DisposeAsync()
    {
        _transport?.Dispose();
        await Waypoints.DisposeAsync();
        if (_connector is not null)
        {
            await _connector.DisposeAsync();
        }

        if (_identity is not null)
        {
            await _identity.DisposeAsync();
        }
    }
}
