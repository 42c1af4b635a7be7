using Meshway.Kubernetes.Client;

namespace Meshway.Cluster;

/// <summary>How both roles find the API server: --kubeconfig, else the pod's service account, else kubectl's file.</summary>
internal static class ClusterConnection
{
    public static KubeClientConfig Resolve(string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            return KubeConfigLoader.LoadFile(kubeconfig);
        }

        if (InClusterConfig.IsAvailable())
        {
            return InClusterConfig.Load();
        }

        var path = KubeConfigLoader.DefaultPath();
        if (File.Exists(path))
        {
            return KubeConfigLoader.LoadFile(path);
        }

        throw new KubeConfigException("no cluster to talk to: not running in a pod, no --kubeconfig, and " + path + " does not exist");
    }
}
