using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;

namespace Meshway.Tests.Config;

/// <summary>A stand-in object for config-source tests: the source never looks inside objects.</summary>
public sealed class FakeObject : KubeObject
{
    public override string ToString() => Kind + "/" + Name;

    public static FakeObject Of(string kind, string name) => new() { Kind = kind, Metadata = new ObjectMeta { Name = name } };
}

/// <summary>
/// A tiny manifest format so these tests exercise the file source alone: one object per line "Kind/name";
/// a line "!message" is a parse error.
/// </summary>
public static class FakeManifests
{
    public static ManifestParseResult Parse(string fileName, string text)
    {
        var objects = new List<KubeObject>();
        var errors = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('!'))
            {
                errors.Add(line[1..]);
                continue;
            }

            var slash = line.IndexOf('/');
            objects.Add(FakeObject.Of(line[..slash], line[(slash + 1)..]));
        }

        return new ManifestParseResult(objects, errors);
    }

    public static string Names(IEnumerable<KubeObject> objects) => string.Join(",", objects.Select(o => o.ToString()));
}
