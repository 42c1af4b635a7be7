using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Translation.Status;

namespace Meshway.Controller.Provisioning;

/// <summary>
/// What the controller provisions for a waypoint Gateway (class meshway-waypoint, controllerName
/// meshway.dev/waypoint-controller): a ClusterIP Service exposing HBONE 15008, and a Deployment whose pods
/// are out of the ambient data plane (istio.io/dataplane-mode: none: ztunnel must not capture the waypoint's own
/// traffic), hold a projected service-account token for the mesh CA (audience istio-ca) and the mesh root
/// (ConfigMap istio-ca-root-cert, which istiod copies into every namespace), and run
/// `meshway proxy --gateway NS/NAME` with the CA flags. The ServiceAccount is <see cref="ProxyResources.ServiceAccount"/>:
/// the waypoint's SPIFFE identity is spiffe://TD/ns/NS/sa/&lt;gateway&gt;-&lt;class&gt;.
/// </summary>
public static class WaypointResources
{
    public const string ControllerName = "meshway.dev/waypoint-controller";
    public const string HboneProtocol = "HBONE";
    public const int HbonePort = 15008;
    public const string DataplaneModeLabel = "istio.io/dataplane-mode";

    /// <summary>Where the mesh CA is (host:port); on the Gateway or in spec.infrastructure.annotations.</summary>
    public const string CaAddressAnnotation = "meshway.dev/ca-address";
    public const string DefaultCaAddress = "istiod.istio-system.svc:15012";
    public const string TokenPath = "/var/run/secrets/tokens";
    public const string RootCertPath = "/var/run/secrets/istio";

    public static JsonObject Service(Gateway gateway)
    {
        var service = ProxyResources.Service(gateway, new ProvisioningOptions { DefaultServiceType = "ClusterIP" }, []);
        var spec = service["spec"]!.AsObject();
        spec["type"] = "ClusterIP"; // a waypoint is reached by ztunnel inside the cluster only
        spec["ports"] = new JsonArray
        {
            new JsonObject { ["name"] = "mesh", ["port"] = HbonePort, ["targetPort"] = HbonePort, ["protocol"] = "TCP", ["appProtocol"] = "all" },
        };
        return service;
    }

    public static JsonObject Deployment(Gateway gateway, ProvisioningOptions options)
    {
        var deployment = ProxyResources.Deployment(gateway, options);
        var template = deployment["spec"]!["template"]!.AsObject();
        template["metadata"]!["labels"]![DataplaneModeLabel] = "none";
        var caAddress = CaAddressOf(gateway);
        var podSpec = template["spec"]!.AsObject();
        var container = podSpec["containers"]![0]!.AsObject();
        // The flags of `meshway identity fetch`: the proxy fetches (and renews) its mesh certificate itself.
        container["args"] = new JsonArray
        {
            "proxy", "--gateway", gateway.Namespace + "/" + gateway.Name,
            "--ca-address", caAddress,
            "--token-file", TokenPath + "/istio-token",
            "--ca-root", RootCertPath + "/root-cert.pem",
        };
        container["ports"] = new JsonArray { new JsonObject { ["name"] = "mesh", ["containerPort"] = HbonePort, ["protocol"] = "TCP" } };
        container["env"] = new JsonArray
        {
            // The proxy's own identity: the CA signs spiffe://TD/ns/POD_NAMESPACE/sa/SERVICE_ACCOUNT.
            FieldEnv("POD_NAMESPACE", "metadata.namespace"),
            FieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
            FieldEnv("POD_NAME", "metadata.name"),
        };
        container["volumeMounts"] = new JsonArray
        {
            new JsonObject { ["name"] = "istio-token", ["mountPath"] = TokenPath, ["readOnly"] = true },
            new JsonObject { ["name"] = "istiod-ca-cert", ["mountPath"] = RootCertPath, ["readOnly"] = true },
        };
        podSpec["volumes"] = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "istio-token",
                ["projected"] = new JsonObject
                {
                    ["sources"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["serviceAccountToken"] = new JsonObject { ["audience"] = "istio-ca", ["expirationSeconds"] = 43200, ["path"] = "istio-token" },
                        },
                    },
                },
            },
            new JsonObject { ["name"] = "istiod-ca-cert", ["configMap"] = new JsonObject { ["name"] = "istio-ca-root-cert" } },
        };
        return deployment;
    }

    public static string CaAddressOf(Gateway gateway) =>
        gateway.Metadata.Annotations?.GetValueOrDefault(CaAddressAnnotation)
        ?? gateway.Spec.Infrastructure?.Annotations?.GetValueOrDefault(CaAddressAnnotation)
        ?? DefaultCaAddress;

    /// <summary>
    /// The waypoint Gateway's status as the controller publishes it (addresses are added from the Service): one
    /// listener {protocol: HBONE, port: 15008} is what a waypoint serves; anything else is UnsupportedProtocol and
    /// the Gateway is not Accepted (ListenersNotValid). The routing side (GAMMA) is the proxy's business.
    /// </summary>
    public static ObjectStatus Status(Gateway gateway)
    {
        var listeners = new JsonArray();
        var hbone = false;
        foreach (var listener in gateway.Spec.Listeners ?? [])
        {
            if (listener is null)
            {
                continue;
            }

            var ok = listener.Protocol == HboneProtocol && listener.Port == HbonePort && !hbone;
            hbone |= ok;
            var message = ok ? "HBONE listener accepted" : $"a waypoint serves one listener {{protocol: HBONE, port: 15008}}; {listener.Protocol}/{listener.Port} is not supported";
            listeners.Add(new JsonObject
            {
                ["name"] = listener.Name,
                ["supportedKinds"] = new JsonArray(),
                ["attachedRoutes"] = 0,
                ["conditions"] = new JsonArray
                {
                    Condition(Reasons.Accepted, ok, ok ? Reasons.Accepted : Reasons.UnsupportedProtocol, message, gateway.Generation),
                    Condition(Reasons.Programmed, ok, ok ? Reasons.Programmed : Reasons.Invalid, message, gateway.Generation),
                },
            });
        }

        var why = hbone ? "Waypoint accepted" : "a waypoint needs a listener {name: mesh, port: 15008, protocol: HBONE}";
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray
            {
                Condition(Reasons.Accepted, hbone, hbone ? Reasons.Accepted : Reasons.ListenersNotValid, why, gateway.Generation),
                Condition(Reasons.Programmed, hbone, hbone ? Reasons.Programmed : Reasons.Invalid, why, gateway.Generation),
            },
            ["listeners"] = listeners,
        };
        return new ObjectStatus(KubeKinds.GatewayGroup + "/v1", "Gateway", gateway.Namespace, gateway.Name, gateway.Generation, status);
    }

    public static ObjectStatus ClassStatus(GatewayClass gatewayClass) =>
        new(KubeKinds.GatewayGroup + "/v1", "GatewayClass", null, gatewayClass.Name, gatewayClass.Generation, new JsonObject
        {
            ["conditions"] = new JsonArray { Condition(Reasons.Accepted, true, Reasons.Accepted, "Handled by " + ControllerName, gatewayClass.Generation) },
        });

    private static JsonObject Condition(string type, bool ok, string reason, string message, long generation) => new()
    {
        ["type"] = type,
        ["status"] = ok ? "True" : "False",
        ["reason"] = reason,
        ["message"] = message,
        ["observedGeneration"] = generation,
    };

    private static JsonObject FieldEnv(string name, string path) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } },
    };
}
