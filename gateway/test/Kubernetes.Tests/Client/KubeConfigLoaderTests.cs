using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshway.Kubernetes.Client;

namespace Meshway.Kubernetes.Tests.Client;

public sealed class KubeConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshway-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (string CertPem, string KeyPem) SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Load_CurrentContextWithInlineData_GivesServerCaClientCertAndNamespace()
    {
        var (ca, _) = SelfSigned("cluster-ca");
        var (cert, key) = SelfSigned("admin");
        var yaml = $"""
            apiVersion: v1
            kind: Config
            current-context: b
            contexts:
            - {"{"}name: a, context: {"{"}cluster: one, user: u1{"}}"}
            - {"{"}name: b, context: {"{"}cluster: two, user: u2, namespace: gateways{"}}"}
            clusters:
            - {"{"}name: one, cluster: {"{"}server: "https://one.example:6443"{"}}"}
            - name: two
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: {B64(ca)}
            users:
            - {"{"}name: u1, user: {"{"}token: abc{"}}"}
            - name: u2
              user:
                client-certificate-data: {B64(cert)}
                client-key-data: {B64(key)}
            """;

        var config = KubeConfigLoader.Load(yaml, _dir);

        Assert.Equal(new Uri("https://10.0.0.1:6443"), config.Server);
        Assert.Equal("gateways", config.Namespace);
        Assert.Equal("CN=cluster-ca", Assert.Single(config.CaCertificates).Subject);
        Assert.NotNull(config.ClientCertificate);
        Assert.Equal("CN=admin", config.ClientCertificate!.Subject);
        Assert.True(config.ClientCertificate.HasPrivateKey);
        Assert.Null(config.Token);
    }

    [Fact]
    public void LoadFile_RelativePathsAndTokenFile_ResolveAgainstTheKubeconfigDirectory()
    {
        var (ca, _) = SelfSigned("file-ca");
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), ca);
        File.WriteAllText(Path.Combine(_dir, "token"), "secret-1\n");
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, """
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k:443", certificate-authority: ca.pem, insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {tokenFile: token}}]
            """);

        var config = KubeConfigLoader.LoadFile(path, context: null);

        Assert.Equal("CN=file-ca", Assert.Single(config.CaCertificates).Subject);
        Assert.True(config.InsecureSkipTlsVerify);
        Assert.Equal("secret-1", config.Token!.GetToken());
        Assert.Equal("default", config.Namespace);
    }

    [Fact]
    public void Load_ExecPlugin_IsRefusedWithAClearMessage()
    {
        var ex = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load("""
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k"}}]
            users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]
            """, _dir));

        Assert.Contains("exec credential plugin", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("current-context: nope\ncontexts: []\nclusters: []\nusers: []", "context \"nope\" is not defined")]
    [InlineData("contexts: []", "no current-context")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: []", "cluster \"k\" is not defined")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: \"ftp://x\"}}]", "is not an http(s) URL")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: \"https://x\"}}]\nusers: [{name: u, user: {client-certificate-data: \"bm90IGEgY2VydA==\"}}]", "without its key")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: \"https://x\", certificate-authority-data: \"%%%\"}}]", "not valid base64")]
    [InlineData("a: [unclosed", "invalid YAML")]
    public void Load_BadKubeconfig_ThrowsKubeConfigExceptionNamingTheProblem(string yaml, string expected)
    {
        var ex = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load(yaml, _dir));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InCluster_ReadsHostPortCaAndNamespace_AndRereadsTheRotatedToken()
    {
        var (ca, _) = SelfSigned("kube-ca");
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), ca);
        File.WriteAllText(Path.Combine(_dir, "token"), "first");
        File.WriteAllText(Path.Combine(_dir, "namespace"), "meshway-system\n");

        var config = InClusterConfig.Load("fd00::1", "6443", _dir);

        Assert.Equal(new Uri("https://[fd00::1]:6443"), config.Server);
        Assert.Equal("meshway-system", config.Namespace);
        Assert.Equal("first", config.Token!.GetToken());

        // The kubelet replaces the file on rotation; the next request must use the new token.
        File.WriteAllText(Path.Combine(_dir, "token"), "second");
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "token"), DateTime.UtcNow.AddSeconds(5));
        Assert.Equal("second", config.Token.GetToken());
    }

    [Fact]
    public void InCluster_WithoutServiceHost_SaysToUseKubeconfig()
    {
        var ex = Assert.Throws<KubeConfigException>(() => InClusterConfig.Load(null, null, _dir));
        Assert.Contains("--kubeconfig", ex.Message, StringComparison.Ordinal);
    }
}
