using Meshway.Kubernetes.Models;

namespace Meshway.Translation.References;

/// <summary>
/// Cross-namespace references (a route to a Service, a Gateway to a Secret) are allowed only when a
/// ReferenceGrant in the target's namespace names the referring kind and namespace and the target kind
/// (and, if it says, the target name).
/// </summary>
internal static class ReferenceGrants
{
    public static bool Allows(
        ResourceSet resources,
        string fromGroup,
        string fromKind,
        string fromNamespace,
        string toGroup,
        string toKind,
        string toNamespace,
        string toName)
    {
        if (fromNamespace == toNamespace)
        {
            return true;
        }

        foreach (var grant in resources.GrantsIn(toNamespace))
        {
            var fromOk = grant.Spec.From?.Exists(f => f is not null &&
                (f.Group ?? "") == fromGroup && f.Kind == fromKind && f.Namespace == fromNamespace) == true;
            if (!fromOk)
            {
                continue;
            }

            var toOk = grant.Spec.To?.Exists(t => t is not null &&
                (t.Group ?? "") == toGroup && t.Kind == toKind && (string.IsNullOrEmpty(t.Name) || t.Name == toName)) == true;
            if (toOk)
            {
                return true;
            }
        }

        return false;
    }
}
