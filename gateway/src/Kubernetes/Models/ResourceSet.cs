namespace Meshway.Kubernetes.Models;

// CONTRACT (placeholder): an immutable set of objects, the input of translation.
public sealed class ResourceSet
{
    private ResourceSet(IReadOnlyList<KubeObject> objects)
    {
        Objects = objects;
    }

    public IReadOnlyList<KubeObject> Objects { get; }

    public static ResourceSet From(IEnumerable<KubeObject> objects) => new(objects.ToArray());
}
