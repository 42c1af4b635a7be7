namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// YAML for the objects every scenario needs. Routes are written inline in the tests (that is where the
/// reader wants to see them); the boilerplate lives here.
/// </summary>
public static class Manifests
{
    public const string ControllerName = "meshway.dev/gateway-controller";

    public const string GatewayClass = $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata:
          name: meshway
        spec:
          controllerName: {ControllerName}

        """;

    public static string Namespace(string name, params (string Key, string Value)[] labels)
    {
        var labelYaml = labels.Length == 0
            ? string.Empty
            : "\n  labels:" + string.Concat(labels.Select(l => $"\n    {l.Key}: \"{l.Value}\""));
        return $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {{name}}{{labelYaml}}

            """;
    }

    /// <summary>A Gateway of class meshway bound to <paramref name="address"/> with the given listeners (see <see cref="Listener"/>).</summary>
    public static string Gateway(string ns, string name, string address, params string[] listeners) => $$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: {{name}}
          namespace: {{ns}}
          generation: 1
        spec:
          gatewayClassName: meshway
          addresses:
          - type: IPAddress
            value: {{address}}
          listeners:
        {{string.Concat(listeners)}}
        """;

    /// <summary>
    /// One listener item, indented for <see cref="Gateway"/>. <paramref name="from"/> is the
    /// allowedRoutes.namespaces.from value (Same/All/Selector); <paramref name="selectorLabel"/> the
    /// label a Selector matches; <paramref name="certificateSecret"/> the TLS Secret of an HTTPS listener.
    /// </summary>
    public static string Listener(
        string name,
        int port,
        string protocol = "HTTP",
        string? hostname = null,
        string? from = null,
        (string Key, string Value)? selectorLabel = null,
        string? certificateSecret = null,
        string? certificateNamespace = null)
    {
        var lines = new List<string>
        {
            $"  - name: {name}",
            $"    port: {port}",
            $"    protocol: {protocol}",
        };
        if (hostname is not null)
        {
            lines.Add($"    hostname: \"{hostname}\"");
        }

        if (certificateSecret is not null)
        {
            lines.Add("    tls:");
            lines.Add("      mode: Terminate");
            lines.Add("      certificateRefs:");
            lines.Add("      - kind: Secret");
            lines.Add("        group: \"\"");
            lines.Add($"        name: {certificateSecret}");
            if (certificateNamespace is not null)
            {
                lines.Add($"        namespace: {certificateNamespace}");
            }
        }

        if (from is not null)
        {
            lines.Add("    allowedRoutes:");
            lines.Add("      namespaces:");
            lines.Add($"        from: {from}");
            if (selectorLabel is { } label)
            {
                lines.Add("        selector:");
                lines.Add("          matchLabels:");
                lines.Add($"            {label.Key}: \"{label.Value}\"");
            }
        }

        return string.Join('\n', lines) + "\n";
    }

    public static string ServiceWithSlice(string serviceName, string ns, int servicePort, int targetPort, string endpointsYaml, string appProtocolLine = "") => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{serviceName}}
          namespace: {{ns}}
        spec:
          type: ClusterIP
          ports:
          - name: http
            port: {{servicePort}}
            targetPort: {{targetPort}}
            protocol: TCP{{appProtocolLine}}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: {{serviceName}}-slice
          namespace: {{ns}}
          labels:
            kubernetes.io/service-name: {{serviceName}}
        addressType: IPv4
        ports:
        - name: http
          port: {{targetPort}}
          protocol: TCP
        endpoints:
        {{endpointsYaml}}
        """;

    /// <summary>A Service whose only endpoint is an address:port nobody listens on (upstream connect fails).</summary>
    public static string DeadService(string serviceName, string ns, string address, int port) =>
        ServiceWithSlice(serviceName, ns, 8080, port, $"- addresses: [\"{address}\"]\n  conditions:\n    ready: true\n");

    public static string TlsSecret(string ns, string name, string certificatePem, string keyPem) => $$"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{name}}
          namespace: {{ns}}
        type: kubernetes.io/tls
        data:
          tls.crt: {{Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificatePem))}}
          tls.key: {{Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(keyPem))}}

        """;

    /// <summary>
    /// An HTTPRoute. <paramref name="rules"/> and <paramref name="parentRefs"/> are YAML list items written
    /// from column 0 ("- matches: …"); they are indented here.
    /// </summary>
    public static string Route(
        string name,
        string rules,
        string ns = "default",
        string[]? hostnames = null,
        string parentRefs = "- name: gw",
        string created = "2024-01-01T00:00:00Z",
        long generation = 1)
    {
        var hostnamesLine = hostnames is null ? string.Empty : "\n  hostnames: [" + string.Join(", ", hostnames.Select(h => "\"" + h + "\"")) + "]";
        return $$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: {{name}}
              namespace: {{ns}}
              generation: {{generation}}
              creationTimestamp: "{{created}}"
            spec:
              parentRefs:
            {{Indent(parentRefs, 2)}}{{hostnamesLine}}
              rules:
            {{Indent(rules, 2)}}
            """;
    }

    /// <summary>A backendRef list item (column 0) to a Service port 8080.</summary>
    public static string Backend(string service, int? weight = null, string? ns = null, int port = 8080)
    {
        var text = $"- name: {service}\n  port: {port}";
        if (ns is not null)
        {
            text += $"\n  namespace: {ns}";
        }

        if (weight is not null)
        {
            text += $"\n  weight: {weight}";
        }

        return text;
    }

    public static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        var lines = text.TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Select(l => l.Length == 0 ? l : pad + l));
    }

    /// <summary>Joins documents into one multi-document YAML file.</summary>
    public static string Documents(params string[] documents) => string.Join("\n---\n", documents.Select(d => d.TrimEnd('\n'))) + "\n";
}
