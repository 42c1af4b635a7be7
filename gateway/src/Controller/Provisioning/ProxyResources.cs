using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;

namespace Meshway.Controller.Provisioning;

/// <summary>What the controller needs to know to provision proxies.</summary>
public sealed record ProvisioningOptions
{
    /// <summary>The image of the proxy pods (the meshway binary; the pod runs `meshway proxy --gateway NS/NAME`).</summary>
    public string ProxyImage { get; init; } = "ghcr.io/meshway/meshway:latest";

    /// <summary>Service type when the Gateway does not choose one (annotation <see cref="ServiceTypeAnnotation"/>).</summary>
    public string DefaultServiceType { get; init; } = "LoadBalancer";
}

/// <summary>
/// The ServiceAccount, Service and Deployment of one Gateway's proxy, as JSON objects holding only the fields
/// the controller owns (the API server adds defaults; those are left alone). Every object carries an
/// ownerReference to the Gateway (controller: true), so deleting the Gateway garbage-collects them.
/// spec.infrastructure labels and annotations are propagated to all three and to the pods; the Service type
/// comes from the annotation meshway.dev/service-type (on the Gateway or in spec.infrastructure.annotations),
/// until a GatewayParameters resource (meshway.dev) takes that role.
/// </summary>
public static class ProxyResources
{
    public const string GatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "meshway";
    public const string ServiceTypeAnnotation = "meshway.dev/service-type";

    /// <summary>Name of everything provisioned for a Gateway: &lt;gateway&gt;-&lt;class&gt;, as Istio names it.</summary>
    public static string NameOf(Gateway gateway) => gateway.Name + "-" + gateway.Spec.GatewayClassName;

    public static JsonObject ServiceAccount(Gateway gateway) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = Metadata(gateway),
    };

    /// <param name="listenerSetPorts">Ports of listeners that attached ListenerSets add to the Gateway.</param>
    public static JsonObject Service(Gateway gateway, ProvisioningOptions options, IEnumerable<int>? listenerSetPorts = null)
    {
        var ports = new JsonArray();
        foreach (var port in ListenerPorts(gateway).Concat(listenerSetPorts ?? []).Distinct().Order())
        {
            ports.Add(new JsonObject
            {
                ["name"] = "port-" + port,
                ["port"] = port,
                ["targetPort"] = port,
                ["protocol"] = "TCP",
            });
        }

        var infra = gateway.Spec.Infrastructure?.Annotations;
        var type = gateway.Metadata.Annotations?.GetValueOrDefault(ServiceTypeAnnotation)
            ?? infra?.GetValueOrDefault(ServiceTypeAnnotation)
            ?? options.DefaultServiceType;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = Metadata(gateway),
            ["spec"] = new JsonObject
            {
                ["type"] = type,
                ["selector"] = new JsonObject { [GatewayNameLabel] = gateway.Name },
                ["ports"] = ports,
            },
        };
    }

    public static JsonObject Deployment(Gateway gateway, ProvisioningOptions options)
    {
        var containerPorts = new JsonArray();
        foreach (var port in ListenerPorts(gateway))
        {
            containerPorts.Add(new JsonObject { ["containerPort"] = port, ["protocol"] = "TCP" });
        }

        var podLabels = Labels(gateway);
        var podMetadata = new JsonObject { ["labels"] = podLabels };
        if (gateway.Spec.Infrastructure?.Annotations is { Count: > 0 } annotations)
        {
            podMetadata["annotations"] = Map(annotations);
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = Metadata(gateway),
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [GatewayNameLabel] = gateway.Name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = podMetadata,
                    ["spec"] = new JsonObject
                    {
                        ["serviceAccountName"] = NameOf(gateway),
                        ["containers"] = new JsonArray
                        {
                            new JsonObject
                            {
                                ["name"] = "proxy",
                                ["image"] = options.ProxyImage,
                                ["args"] = new JsonArray { "proxy", "--gateway", gateway.Namespace + "/" + gateway.Name },
                                ["ports"] = containerPorts,
                                // Listener ports below 1024 without running as root.
                                ["securityContext"] = new JsonObject
                                {
                                    ["allowPrivilegeEscalation"] = false,
                                    ["capabilities"] = new JsonObject
                                    {
                                        ["drop"] = new JsonArray { "ALL" },
                                        ["add"] = new JsonArray { "NET_BIND_SERVICE" },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };
    }

    private static IEnumerable<int> ListenerPorts(Gateway gateway) =>
        (gateway.Spec.Listeners ?? []).Where(l => l is not null && l.Port is >= 1 and <= 65535).Select(l => l.Port).Distinct().Order();

    private static JsonObject Metadata(Gateway gateway)
    {
        var metadata = new JsonObject
        {
            ["name"] = NameOf(gateway),
            ["namespace"] = gateway.Namespace,
            ["labels"] = Labels(gateway),
            ["ownerReferences"] = new JsonArray
            {
                new JsonObject
                {
                    ["apiVersion"] = KubeKinds.GatewayGroup + "/v1",
                    ["kind"] = "Gateway",
                    ["name"] = gateway.Name,
                    ["uid"] = gateway.Metadata.Uid ?? "",
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                },
            },
        };
        if (gateway.Spec.Infrastructure?.Annotations is { Count: > 0 } annotations)
        {
            metadata["annotations"] = Map(annotations);
        }

        return metadata;
    }

    private static JsonObject Labels(Gateway gateway)
    {
        var labels = gateway.Spec.Infrastructure?.Labels is { } infra ? Map(infra) : new JsonObject();
        labels[GatewayNameLabel] = gateway.Name;
        labels[ManagedByLabel] = ManagedByValue;
        return labels;
    }

    private static JsonObject Map(Dictionary<string, string> values)
    {
        var map = new JsonObject();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            map[key] = value;
        }

        return map;
    }
}
