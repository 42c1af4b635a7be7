using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;
using Meshway.Translation.Status;

namespace Meshway.Translation;

/// <summary>What translation is told about its environment (never read from the clock or the machine).</summary>
public sealed record TranslationOptions
{
    public string ControllerName { get; init; } = "meshway.dev/gateway-controller";

    /// <summary>Listeners of a Gateway with no spec.addresses bind here.</summary>
    public string DefaultBindAddress { get; init; } = "0.0.0.0";
}

public sealed record TranslationResult(RoutingSnapshot Snapshot, StatusReport Status);

// CONTRACT (placeholder): pure; never throws for bad input (bad objects become status conditions).
public static class Translator
{
    public static TranslationResult Translate(ResourceSet resources, TranslationOptions options) =>
        throw new NotImplementedException();
}
