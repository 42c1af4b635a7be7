using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Translation.Backends;
using Meshway.Translation.Routes;

namespace Meshway.Translation.Status;

/// <summary>
/// BackendTLSPolicy status: one ancestor entry per Gateway of ours whose accepted routes send traffic to a
/// Service port the policy governs, each with Accepted (Accepted / Invalid / Conflicted /
/// NoValidCACertificate) and ResolvedRefs (ResolvedRefs / InvalidCACertificateRef / InvalidKind).
/// </summary>
internal static class BackendTlsPolicyStatus
{
    public static IEnumerable<ObjectStatus> Write(
        ResourceSet resources, IReadOnlyList<(CompiledRoute Route, List<ParentResult> Parents)> routeResults, string controllerName)
    {
        if (resources.BackendTlsPolicies.IsEmpty)
        {
            // Nothing to report; skip walking every route's backendRefs (at thousands of routes it cost more
            // than compiling them).
            yield break;
        }

        // Which Gateways reach which Service port, from the routes' own backendRefs (not the compiled
        // backends: a policy that fails closed leaves an invalid backend without TLS settings, and a
        // conflicted policy governs nothing, yet both have these Gateways as ancestors).
        var gatewaysByPort = new Dictionary<(string Namespace, string Service, string? Port), SortedSet<(string Namespace, string Name)>>();
        foreach (var (route, parents) in routeResults)
        {
            var ports = BackendRefsOf(route.Route)
                .Select(r => ServicePortOf(resources, route.Route.Namespace, r))
                .OfType<(string, string, string?)>()
                .Distinct()
                .ToList();
            foreach (var parent in parents.Where(p => p.Error is null))
            {
                var gateway = (string.IsNullOrEmpty(parent.ParentRef.Namespace) ? route.Route.Namespace : parent.ParentRef.Namespace, parent.ParentRef.Name ?? "");
                foreach (var port in ports)
                {
                    if (!gatewaysByPort.TryGetValue(port, out var set))
                    {
                        set = [];
                        gatewaysByPort[port] = set;
                    }

                    set.Add(gateway);
                }
            }
        }

        foreach (var result in BackendTlsPolicies.Evaluate(resources))
        {
            var policy = result.Policy;
            var accepted = result.AcceptError is { } acceptError
                ? new Condition(Reasons.Accepted, false, acceptError.Reason, acceptError.Message)
                : ConflictOf(resources, policy) is { } winner
                    ? new Condition(Reasons.Accepted, false, BackendTlsPolicies.Conflicted, $"BackendTLSPolicy {winner} already targets the same Service port")
                    : new Condition(Reasons.Accepted, true, Reasons.Accepted, "Policy accepted");
            var resolved = result.RefError is { } refError
                ? new Condition(Reasons.ResolvedRefs, false, refError.Reason, refError.Message)
                : new Condition(Reasons.ResolvedRefs, true, Reasons.ResolvedRefs, "All references resolved");

            var reached = new SortedSet<(string Namespace, string Name)>();
            foreach (var target in (policy.Spec.TargetRefs ?? []).Where(t => t is not null && BackendTlsPolicies.IsService(t)))
            {
                foreach (var (port, gateways) in gatewaysByPort)
                {
                    if (port.Namespace == policy.Namespace && port.Service == target.Name
                        && (string.IsNullOrEmpty(target.SectionName) || port.Port == target.SectionName))
                    {
                        reached.UnionWith(gateways);
                    }
                }
            }

            var ancestors = new JsonArray();
            foreach (var (ns, name) in reached)
            {
                ancestors.Add(new JsonObject
                {
                    ["ancestorRef"] = new JsonObject
                    {
                        ["group"] = KubeKinds.GatewayGroup,
                        ["kind"] = "Gateway",
                        ["namespace"] = ns,
                        ["name"] = name,
                    },
                    ["controllerName"] = controllerName,
                    ["conditions"] = Condition.ToJson([accepted, resolved], policy.Generation),
                });
            }

            yield return new ObjectStatus(policy.ApiVersion, policy.Kind, policy.Namespace, policy.Name, policy.Generation,
                new JsonObject { ["ancestors"] = ancestors });
        }
    }

    private static IEnumerable<(string? Namespace, string? Name, int? Port)> BackendRefsOf(KubeObject route)
    {
        IEnumerable<(string?, string?, int?, List<HttpRouteFilter>?)> refs = route switch
        {
            HttpRoute http => (http.Spec.Rules ?? []).Where(r => r is not null)
                .SelectMany(r => (r.BackendRefs ?? []).Where(b => b is not null).Select(b => (b.Namespace, b.Name, b.Port, r.Filters))),
            GrpcRoute grpc => (grpc.Spec.Rules ?? []).Where(r => r is not null)
                .SelectMany(r => (r.BackendRefs ?? []).Where(b => b is not null).Select(b => (b.Namespace, b.Name, b.Port, r.Filters))),
            _ => [],
        };
        foreach (var (ns, name, port, filters) in refs)
        {
            yield return (ns, name, port);
            foreach (var mirror in (filters ?? []).Where(f => f?.RequestMirror?.BackendRef is not null))
            {
                var target = mirror.RequestMirror!.BackendRef!;
                yield return (target.Namespace, target.Name, target.Port);
            }
        }
    }

    private static (string Namespace, string Service, string? Port)? ServicePortOf(
        ResourceSet resources, string routeNamespace, (string? Namespace, string? Name, int? Port) backendRef)
    {
        var ns = string.IsNullOrEmpty(backendRef.Namespace) ? routeNamespace : backendRef.Namespace;
        var servicePort = resources.FindService(ns, backendRef.Name ?? "")?.Spec.Ports?.Find(p => p is not null && p.Port == backendRef.Port);
        return servicePort is null ? null : (ns, backendRef.Name!, servicePort.Name);
    }

    /// <summary>The policy that wins a target this one names, when it is another one.</summary>
    private static string? ConflictOf(ResourceSet resources, BackendTlsPolicy policy)
    {
        foreach (var target in policy.Spec.TargetRefs ?? [])
        {
            if (target is null || !BackendTlsPolicies.IsService(target))
            {
                continue;
            }

            var winner = BackendTlsPolicies.For(resources, policy.Namespace, target.Name!, target.SectionName);
            if (winner is not null && !ReferenceEquals(winner.Policy, policy))
            {
                return winner.Policy.Namespace + "/" + winner.Policy.Name;
            }
        }

        return null;
    }
}
