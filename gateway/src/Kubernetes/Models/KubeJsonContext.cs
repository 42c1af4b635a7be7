using System.Text.Json.Serialization;

namespace Meshway.Kubernetes.Models;

/// <summary>
/// Source-generated (de)serialisation of every model, in the API's camelCase. Property names are matched
/// case-sensitively, as the API server does; unknown fields go to the root's extension data.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(GatewayClass))]
[JsonSerializable(typeof(Gateway))]
[JsonSerializable(typeof(HttpRoute))]
[JsonSerializable(typeof(GrpcRoute))]
[JsonSerializable(typeof(TlsRoute))]
[JsonSerializable(typeof(TcpRoute))]
[JsonSerializable(typeof(ListenerSet))]
[JsonSerializable(typeof(BackendTlsPolicy))]
[JsonSerializable(typeof(ConfigMap))]
[JsonSerializable(typeof(ReferenceGrant))]
[JsonSerializable(typeof(KubeNamespace))]
[JsonSerializable(typeof(Pod))]
[JsonSerializable(typeof(Secret))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(EndpointSlice))]
[JsonSerializable(typeof(Deployment))]
[JsonSerializable(typeof(ServiceAccount))]
[JsonSerializable(typeof(Lease))]
public sealed partial class KubeJsonContext : JsonSerializerContext
{
}
