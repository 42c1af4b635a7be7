namespace Meshway.Kubernetes.Client;

/// <summary>The cluster connection could not be configured (bad kubeconfig, missing file, unsupported auth).</summary>
public sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);
