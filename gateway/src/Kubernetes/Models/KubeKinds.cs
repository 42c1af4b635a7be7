using System.Text.Json.Serialization.Metadata;

namespace Meshway.Kubernetes.Models;

/// <summary>The kinds Meshway reads, keyed by apiVersion and kind, with the JSON type info to read them.</summary>
public static class KubeKinds
{
    public const string GatewayGroup = "gateway.networking.k8s.io";

    /// <summary>The type info for an apiVersion/kind, or null when Meshway does not read that kind.</summary>
    public static JsonTypeInfo? TypeInfoFor(string apiVersion, string kind)
    {
        var context = KubeJsonContext.Default;
        return (apiVersion, kind) switch
        {
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1beta1", "GatewayClass") => context.GatewayClass,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1beta1", "Gateway") => context.Gateway,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1beta1", "HTTPRoute") => context.HttpRoute,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1beta1", "ReferenceGrant") => context.ReferenceGrant,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1alpha2", "GRPCRoute") => context.GrpcRoute,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1alpha2", "TLSRoute") => context.TlsRoute,
            ("gateway.networking.k8s.io/v1alpha2", "TCPRoute") => context.TcpRoute,
            ("gateway.networking.k8s.io/v1", "ListenerSet") => context.ListenerSet,
            ("v1", "Namespace") => context.KubeNamespace,
            ("v1", "Pod") => context.Pod,
            ("v1", "Secret") => context.Secret,
            ("v1", "ConfigMap") => context.ConfigMap,
            ("gateway.networking.k8s.io/v1" or "gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy") => context.BackendTlsPolicy,
            ("v1", "Service") => context.Service,
            ("discovery.k8s.io/v1", "EndpointSlice") => context.EndpointSlice,
            _ => null,
        };
    }
}
