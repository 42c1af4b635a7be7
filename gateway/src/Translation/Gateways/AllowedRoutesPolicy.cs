using Meshway.Kubernetes.Models;

namespace Meshway.Translation.Gateways;

/// <summary>
/// allowedRoutes.namespaces: Same (the default), All, or Selector against the route namespace's labels.
/// A namespace always carries kubernetes.io/metadata.name=&lt;name&gt; (the API server sets it), also when the
/// files hold no Namespace object for it.
/// </summary>
internal static class AllowedRoutesPolicy
{
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    public static bool AllowsNamespace(ListenerState listener, string routeNamespace, ResourceSet resources)
    {
        var namespaces = listener.Spec.AllowedRoutes?.Namespaces;
        switch (namespaces?.From ?? "Same")
        {
            case "Same":
                return routeNamespace == listener.OwnerNamespace;
            case "All":
                return true;
            case "Selector":
                return namespaces?.Selector is { } selector && Matches(selector, LabelsOf(routeNamespace, resources));
            default:
                return false;
        }
    }

    public static Dictionary<string, string> LabelsOf(string @namespace, ResourceSet resources)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (resources.FindNamespace(@namespace)?.Metadata.Labels is { } own)
        {
            foreach (var (key, value) in own)
            {
                labels[key] = value;
            }
        }

        labels[NamespaceNameLabel] = @namespace;
        return labels;
    }

    /// <summary>Kubernetes label-selector semantics: every matchLabels pair and every expression must hold; {} matches all.</summary>
    public static bool Matches(LabelSelector selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector.MatchLabels ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            if (requirement?.Key is not { } key)
            {
                return false;
            }

            var has = labels.TryGetValue(key, out var actual);
            var values = requirement.Values ?? [];
            var holds = requirement.Operator switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }
}
