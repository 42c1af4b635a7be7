using System.Text.Json.Serialization.Metadata;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Client;

/// <summary>A kind the client reads or writes: where it lives in the REST API and how its JSON is typed.</summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced, JsonTypeInfo TypeInfo)
{
    public static readonly ResourceKind GatewayClasses = new(KubeKinds.GatewayGroup, "v1", "gatewayclasses", "GatewayClass", false, KubeJsonContext.Default.GatewayClass);
    public static readonly ResourceKind Gateways = new(KubeKinds.GatewayGroup, "v1", "gateways", "Gateway", true, KubeJsonContext.Default.Gateway);
    public static readonly ResourceKind HttpRoutes = new(KubeKinds.GatewayGroup, "v1", "httproutes", "HTTPRoute", true, KubeJsonContext.Default.HttpRoute);
    public static readonly ResourceKind TlsRoutes = new(KubeKinds.GatewayGroup, "v1", "tlsroutes", "TLSRoute", true, KubeJsonContext.Default.TlsRoute);
    public static readonly ResourceKind TlsRoutesV1Alpha2 = new(KubeKinds.GatewayGroup, "v1alpha2", "tlsroutes", "TLSRoute", true, KubeJsonContext.Default.TlsRoute);
    public static readonly ResourceKind TcpRoutes = new(KubeKinds.GatewayGroup, "v1alpha2", "tcproutes", "TCPRoute", true, KubeJsonContext.Default.TcpRoute);
    public static readonly ResourceKind GrpcRoutes = new(KubeKinds.GatewayGroup, "v1", "grpcroutes", "GRPCRoute", true, KubeJsonContext.Default.GrpcRoute);
    public static readonly ResourceKind BackendTlsPolicies = new(KubeKinds.GatewayGroup, "v1", "backendtlspolicies", "BackendTLSPolicy", true, KubeJsonContext.Default.BackendTlsPolicy);
    public static readonly ResourceKind ListenerSets = new(KubeKinds.GatewayGroup, "v1", "listenersets", "ListenerSet", true, KubeJsonContext.Default.ListenerSet);
    public static readonly ResourceKind ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true, KubeJsonContext.Default.ConfigMap);
    public static readonly ResourceKind ReferenceGrants = new(KubeKinds.GatewayGroup, "v1beta1", "referencegrants", "ReferenceGrant", true, KubeJsonContext.Default.ReferenceGrant);
    public static readonly ResourceKind Services = new("", "v1", "services", "Service", true, KubeJsonContext.Default.Service);
    public static readonly ResourceKind Secrets = new("", "v1", "secrets", "Secret", true, KubeJsonContext.Default.Secret);
    public static readonly ResourceKind Namespaces = new("", "v1", "namespaces", "Namespace", false, KubeJsonContext.Default.KubeNamespace);
    public static readonly ResourceKind ServiceAccounts = new("", "v1", "serviceaccounts", "ServiceAccount", true, KubeJsonContext.Default.ServiceAccount);
    public static readonly ResourceKind EndpointSlices = new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, KubeJsonContext.Default.EndpointSlice);
    public static readonly ResourceKind Deployments = new("apps", "v1", "deployments", "Deployment", true, KubeJsonContext.Default.Deployment);
    public static readonly ResourceKind Pods = new("", "v1", "pods", "Pod", true, KubeJsonContext.Default.Pod);
    public static readonly ResourceKind Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true, KubeJsonContext.Default.Lease);

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>/api/v1/[namespaces/NS/]plural or /apis/group/version/[namespaces/NS/]plural; all namespaces when ns is null.</summary>
    public string CollectionPath(string? @namespace)
    {
        var prefix = Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;
        return Namespaced && !string.IsNullOrEmpty(@namespace)
            ? prefix + "/namespaces/" + Uri.EscapeDataString(@namespace) + "/" + Plural
            : prefix + "/" + Plural;
    }

    public string ObjectPath(string? @namespace, string name) => CollectionPath(@namespace) + "/" + Uri.EscapeDataString(name);

    public override string ToString() => Plural + "." + (Group.Length == 0 ? "core" : Group);
}
