using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Meshway.Kubernetes.Client;

/// <summary>
/// Reads a kubeconfig file the way kubectl does for the parts Meshway supports: the current context (or a
/// named one), its cluster (server, certificate-authority[-data], insecure-skip-tls-verify, tls-server-name)
/// and its user (token, tokenFile, client-certificate[-data] + client-key[-data]). Relative file paths are
/// relative to the kubeconfig's directory. Exec and auth-provider plugins are refused with a clear message:
/// running arbitrary binaries from a proxy is not something we want to do implicitly.
/// </summary>
public static class KubeConfigLoader
{
    /// <summary>The file kubectl would use: $KUBECONFIG (first entry) or ~/.kube/config.</summary>
    public static string DefaultPath()
    {
        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(env))
        {
            return env.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0];
        }

        return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    public static KubeClientConfig LoadFile(string path, string? context = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read kubeconfig {path}: {ex.Message}", ex);
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        return Load(text, directory, context, path);
    }

    /// <summary>Parses kubeconfig text; <paramref name="baseDirectory"/> resolves relative file paths.</summary>
    public static KubeClientConfig Load(string yaml, string baseDirectory, string? context = null, string source = "kubeconfig")
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m
                : throw new KubeConfigException($"{source}: not a kubeconfig (expected a mapping at the top)");
        }
        catch (YamlException ex)
        {
            throw new KubeConfigException($"{source}: invalid YAML at line {ex.Start.Line}: {ex.Message}", ex);
        }

        var contextName = context ?? Scalar(root, "current-context");
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubeConfigException($"{source}: no current-context is set and none was given");
        }

        var ctx = Named(root, "contexts", contextName, "context")
            ?? throw new KubeConfigException($"{source}: context \"{contextName}\" is not defined");
        var clusterName = Scalar(ctx, "cluster")
            ?? throw new KubeConfigException($"{source}: context \"{contextName}\" names no cluster");
        var cluster = Named(root, "clusters", clusterName, "cluster")
            ?? throw new KubeConfigException($"{source}: cluster \"{clusterName}\" is not defined");
        var userName = Scalar(ctx, "user");
        var user = userName is null ? null : Named(root, "users", userName, "user")
            ?? throw new KubeConfigException($"{source}: user \"{userName}\" is not defined");

        var serverText = Scalar(cluster, "server")
            ?? throw new KubeConfigException($"{source}: cluster \"{clusterName}\" has no server");
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("https" or "http"))
        {
            throw new KubeConfigException($"{source}: cluster \"{clusterName}\" server \"{serverText}\" is not an http(s) URL");
        }

        var cas = new X509Certificate2Collection();
        if (Scalar(cluster, "certificate-authority-data") is { } caData)
        {
            cas.AddRange(Pem.Certificates(Base64(caData, source, "certificate-authority-data"), source + " certificate-authority-data"));
        }
        else if (Scalar(cluster, "certificate-authority") is { } caFile)
        {
            cas.AddRange(Pem.Certificates(ReadFile(baseDirectory, caFile, source), caFile));
        }

        X509Certificate2? clientCertificate = null;
        TokenSource? token = null;
        if (user is not null)
        {
            if (user.Children.ContainsKey("exec"))
            {
                throw new KubeConfigException(
                    $"{source}: user \"{userName}\" uses an exec credential plugin, which Meshway does not run; " +
                    "use a token, a client certificate or a service-account kubeconfig");
            }

            if (user.Children.ContainsKey("auth-provider"))
            {
                throw new KubeConfigException(
                    $"{source}: user \"{userName}\" uses an auth-provider plugin, which Meshway does not support; use a token or a client certificate");
            }

            if (Scalar(user, "token") is { Length: > 0 } fixedToken)
            {
                token = TokenSource.Fixed(fixedToken);
            }
            else if (Scalar(user, "tokenFile") is { Length: > 0 } tokenFile)
            {
                token = TokenSource.FromFile(Resolve(baseDirectory, tokenFile));
            }

            var certPem = Scalar(user, "client-certificate-data") is { } certData
                ? Base64(certData, source, "client-certificate-data")
                : Scalar(user, "client-certificate") is { } certFile ? ReadFile(baseDirectory, certFile, source) : null;
            var keyPem = Scalar(user, "client-key-data") is { } keyData
                ? Base64(keyData, source, "client-key-data")
                : Scalar(user, "client-key") is { } keyFile ? ReadFile(baseDirectory, keyFile, source) : null;
            if (certPem is not null || keyPem is not null)
            {
                if (certPem is null || keyPem is null)
                {
                    throw new KubeConfigException($"{source}: user \"{userName}\" has a client certificate without its key (or the reverse)");
                }

                try
                {
                    clientCertificate = X509Certificate2.CreateFromPem(certPem, keyPem);
                }
                catch (CryptographicException ex)
                {
                    throw new KubeConfigException($"{source}: user \"{userName}\" client certificate/key are not valid PEM: {ex.Message}", ex);
                }
            }
        }

        return new KubeClientConfig
        {
            Server = server,
            CaCertificates = cas,
            ClientCertificate = clientCertificate,
            Token = token,
            InsecureSkipTlsVerify = string.Equals(Scalar(cluster, "insecure-skip-tls-verify"), "true", StringComparison.OrdinalIgnoreCase),
            TlsServerName = Scalar(cluster, "tls-server-name"),
            Namespace = Scalar(ctx, "namespace") is { Length: > 0 } ns ? ns : "default",
        };
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>Finds {name: X, &lt;field&gt;: {...}} in the list under <paramref name="listKey"/>.</summary>
    private static YamlMappingNode? Named(YamlMappingNode root, string listKey, string name, string field)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(listKey), out var list) || list is not YamlSequenceNode sequence)
        {
            return null;
        }

        foreach (var item in sequence)
        {
            if (item is YamlMappingNode entry && Scalar(entry, "name") == name)
            {
                return entry.Children.TryGetValue(new YamlScalarNode(field), out var body) && body is YamlMappingNode mapping
                    ? mapping
                    : new YamlMappingNode();
            }
        }

        return null;
    }

    private static string Base64(string value, string source, string field)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
        }
        catch (FormatException ex)
        {
            throw new KubeConfigException($"{source}: {field} is not valid base64", ex);
        }
    }

    private static string Resolve(string baseDirectory, string path) =>
        System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(baseDirectory, path);

    private static string ReadFile(string baseDirectory, string path, string source)
    {
        var full = Resolve(baseDirectory, path);
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"{source}: cannot read {full}: {ex.Message}", ex);
        }
    }
}

/// <summary>PEM bundle reading with errors that name the source.</summary>
internal static class Pem
{
    public static X509Certificate2Collection Certificates(string pem, string source)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new KubeConfigException($"{source}: not a PEM certificate bundle: {ex.Message}", ex);
        }

        if (collection.Count == 0)
        {
            throw new KubeConfigException($"{source}: no certificate found in the PEM bundle");
        }

        return collection;
    }
}
