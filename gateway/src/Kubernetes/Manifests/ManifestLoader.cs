using Meshway.Kubernetes.Models;

namespace Meshway.Kubernetes.Manifests;

/// <summary>The objects of one manifest file and what was wrong with it (one message per bad document).</summary>
public sealed record ManifestParseResult(IReadOnlyList<KubeObject> Objects, IReadOnlyList<string> Errors);

// CONTRACT (placeholder): parses a multi-document YAML file into typed objects; never throws.
public static class ManifestLoader
{
    public static ManifestParseResult Parse(string fileName, string yaml) => throw new NotImplementedException();
}
