using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Tests.Models;

public sealed class PodTests
{
    [Fact]
    public void Load_Pod_KeepsMeshFactsAndIsFoundByEachOfItsIps()
    {
        var parsed = ManifestLoader.Parse("pods.yaml", """
            apiVersion: v1
            kind: Pod
            metadata:
              name: reviews-1
              namespace: shop
              labels: {app: reviews}
              annotations: {ambient.istio.io/redirection: enabled}
            spec: {serviceAccountName: reviews}
            status:
              podIP: 127.0.10.5
              podIPs: [{ip: 127.0.10.5}, {ip: "fd00::5"}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: plain, namespace: shop}
            status: {podIP: 127.0.10.6}
            """);
        Assert.Empty(parsed.Errors);
        var set = ResourceSet.From(parsed.Objects);

        var pod = Assert.Single(set.Pods, p => p.Name == "reviews-1");
        Assert.Equal("reviews", pod.Spec.ServiceAccountName);
        Assert.Equal("enabled", pod.Metadata.Annotations!["ambient.istio.io/redirection"]);
        Assert.Same(pod, set.FindPodByIp("127.0.10.5"));
        Assert.Same(pod, set.FindPodByIp("fd00::5"));
        Assert.Null(set.FindPodByIp("127.0.10.6")!.Spec.ServiceAccountName);
        Assert.Null(set.FindPodByIp("127.0.10.7"));
    }
}
