using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Backends;
using Meshway.Routing.Filters;
using Meshway.Translation.References;
using Meshway.Translation.Status;

namespace Meshway.Translation.Backends;

/// <summary>
/// Turns a backendRef into a <see cref="BackendModel"/>: checks kind, ReferenceGrant, the Service and its
/// port, then collects the ready endpoints of the Service's EndpointSlices. A ref that cannot be resolved
/// still yields a model (marked invalid, so its share of traffic answers 500) plus the error for status.
/// </summary>
internal static class BackendResolver
{
    public const string AppProtocolH2c = "kubernetes.io/h2c";
    public const string AppProtocolWebSocket = "kubernetes.io/ws";

    public static (BackendModel Backend, ConfigError? Error) Resolve(
        ResourceSet resources,
        string routeNamespace,
        string? group,
        string? kind,
        string? name,
        string? @namespace,
        int? port,
        int weight,
        ImmutableArray<RouteFilter> filters = default,
        string fromKind = "HTTPRoute",
        BackendProtocol? protocolOverride = null)
    {
        var targetNamespace = string.IsNullOrEmpty(@namespace) ? routeNamespace : @namespace;
        var displayName = targetNamespace + "/" + (name ?? "") + (port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "");
        if (!string.IsNullOrEmpty(group) || (kind ?? "Service") != "Service")
        {
            return Invalid(displayName, weight, Reasons.InvalidKind,
                $"backendRef {group}/{kind} {displayName}: only core Services are supported as backends");
        }

        if (string.IsNullOrEmpty(name))
        {
            return Invalid(displayName, weight, Reasons.BackendNotFound, "backendRef has no name");
        }

        if (!ReferenceGrants.Allows(resources, KubeKinds.GatewayGroup, fromKind, routeNamespace, "", "Service", targetNamespace, name))
        {
            return Invalid(displayName, weight, Reasons.RefNotPermitted,
                $"backendRef to Service {targetNamespace}/{name} is not permitted by any ReferenceGrant in namespace {targetNamespace}");
        }

        var service = resources.FindService(targetNamespace, name);
        if (service is null)
        {
            return Invalid(displayName, weight, Reasons.BackendNotFound, $"Service {targetNamespace}/{name} not found");
        }

        if (port is null)
        {
            return Invalid(displayName, weight, Reasons.BackendNotFound,
                $"backendRef to Service {targetNamespace}/{name} must set a port");
        }

        var servicePort = service.Spec.Ports?.Find(sp => sp is not null && sp.Port == port);
        if (servicePort is null)
        {
            return Invalid(displayName, weight, Reasons.BackendNotFound,
                $"Service {targetNamespace}/{name} has no port {port}");
        }

        // A GRPCRoute backend speaks HTTP/2 whatever the port says (gRPC has no HTTP/1.1 mapping).
        var protocol = protocolOverride ?? servicePort.AppProtocol switch
        {
            AppProtocolH2c => BackendProtocol.H2c,
            AppProtocolWebSocket => BackendProtocol.WebSocket,
            _ => BackendProtocol.Http1,
        };
        var endpoints = EndpointsOf(resources, targetNamespace, name, servicePort);

        // BackendTLSPolicy: TLS to the endpoints; a policy we cannot honour fails closed (500), it never
        // falls back to plaintext. Its problems are reported on the policy itself.
        var tls = BackendTlsPolicies.For(resources, targetNamespace, name, servicePort.Name);
        if (tls is not null && tls.Model is null)
        {
            return (BackendModel.InvalidRef(displayName, weight), null);
        }

        return (new BackendModel(displayName, weight, endpoints, protocol, filters, tls: tls?.Model), null);
    }

    /// <summary>
    /// The ready endpoints behind one Service port. A slice port is found by the Service port's name (both
    /// unnamed counts as equal); a slice without ports, or without that name, falls back to a numeric
    /// targetPort (or the Service port when targetPort is absent). Endpoints with ready=false are skipped;
    /// an absent ready condition means ready, as the EndpointSlice API says.
    /// </summary>
    internal static ImmutableArray<EndpointModel> EndpointsOf(ResourceSet resources, string @namespace, string service, ServicePort servicePort)
    {
        var result = ImmutableArray.CreateBuilder<EndpointModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fallbackPort = servicePort.TargetPort is { } target
            ? target.IntValue
            : servicePort.Port;
        foreach (var slice in resources.SlicesOf(@namespace, service))
        {
            var slicePort = slice.Ports?.Find(p => p is not null && (p.Name ?? "") == (servicePort.Name ?? ""))?.Port ?? fallbackPort;
            if (slicePort is not (> 0 and <= 65535))
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                if (endpoint?.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var address in endpoint?.Addresses ?? [])
                {
                    if (!IPAddress.TryParse(address, out var ip))
                    {
                        continue; // FQDN slices and garbage: nothing to connect to
                    }

                    var model = new EndpointModel(ip.ToString(), slicePort.Value);
                    if (seen.Add(model.Key))
                    {
                        result.Add(model);
                    }
                }
            }
        }

        return result.ToImmutable();
    }

    private static (BackendModel, ConfigError) Invalid(string name, int weight, string reason, string message) =>
        (BackendModel.InvalidRef(name, weight), new ConfigError(reason, message));
}
