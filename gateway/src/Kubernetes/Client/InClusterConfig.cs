namespace Meshway.Kubernetes.Client;

/// <summary>
/// The configuration a pod gets for free: KUBERNETES_SERVICE_HOST/PORT, and the service-account token,
/// CA bundle and namespace mounted under /var/run/secrets/kubernetes.io/serviceaccount. The token is read
/// from its file on use (it is rotated), never captured once.
/// </summary>
public static class InClusterConfig
{
    public const string DefaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static bool IsAvailable(string directory = DefaultDirectory) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
        && File.Exists(Path.Combine(directory, "token"));

    public static KubeClientConfig Load(string directory = DefaultDirectory) =>
        Load(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"), Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT"), directory);

    public static KubeClientConfig Load(string? host, string? port, string directory)
    {
        if (string.IsNullOrEmpty(host))
        {
            throw new KubeConfigException("not running in a cluster: KUBERNETES_SERVICE_HOST is not set (use --kubeconfig)");
        }

        port = string.IsNullOrEmpty(port) ? "443" : port;
        // An IPv6 service host must be bracketed in the URL.
        var authority = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
        if (!Uri.TryCreate("https://" + authority + ":" + port, UriKind.Absolute, out var server))
        {
            throw new KubeConfigException($"KUBERNETES_SERVICE_HOST/PORT ({host}:{port}) do not form a URL");
        }

        var tokenPath = Path.Combine(directory, "token");
        if (!File.Exists(tokenPath))
        {
            throw new KubeConfigException($"no service-account token at {tokenPath} (is automountServiceAccountToken off?)");
        }

        var caPath = Path.Combine(directory, "ca.crt");
        string caPem;
        try
        {
            caPem = File.ReadAllText(caPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read the cluster CA {caPath}: {ex.Message}", ex);
        }

        var nsPath = Path.Combine(directory, "namespace");
        var ns = File.Exists(nsPath) ? File.ReadAllText(nsPath).Trim() : "";
        return new KubeClientConfig
        {
            Server = server,
            CaCertificates = Pem.Certificates(caPem, caPath),
            Token = TokenSource.FromFile(tokenPath),
            Namespace = ns.Length > 0 ? ns : "default",
        };
    }
}
