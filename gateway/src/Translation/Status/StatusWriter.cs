using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using Meshway.Translation.Gateways;
using Meshway.Translation.Routes;

namespace Meshway.Translation.Status;

/// <summary>Renders what translation decided as the status stanzas of GatewayClass, Gateway and HTTPRoute.</summary>
internal static class StatusWriter
{
    /// <summary>The features we implement for real, by their v1.6 names (pkg/features), sorted as the status schema expects.</summary>
    public static readonly IReadOnlyList<string> SupportedFeatures = new[]
    {
        "BackendTLSPolicy",
        "BackendTLSPolicySANValidation",
        "Gateway",
        "GatewayBackendClientCertificate",
        "GatewayFrontendClientCertificateValidation",
        "GatewayFrontendClientCertificateValidationInsecureFallback",
        "GatewayHTTPListenerIsolation",
        "GatewayHTTPSListenerDetectMisdirectedRequests",
        "GatewayPort8080",
        "GatewayStaticAddresses",
        "GRPCRoute",
        "HTTPRoute",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
        "HTTPRouteBackendProtocolH2C",
        "HTTPRouteBackendProtocolWebSocket",
        "HTTPRouteBackendRequestHeaderModification",
        "HTTPRouteBackendTimeout",
        "HTTPRouteHostRewrite",
        "HTTPRouteMethodMatching",
        "HTTPRouteNamedRouteRule",
        "HTTPRouteParentRefPort",
        "HTTPRoutePathRedirect",
        "HTTPRoutePathRewrite",
        "HTTPRoutePortRedirect",
        "HTTPRouteQueryParamMatching",
        "HTTPRouteRequestMirror",
        "HTTPRouteRequestMultipleMirrors",
        "HTTPRouteRequestPercentageMirror",
        "HTTPRouteRequestTimeout",
        "HTTPRouteResponseHeaderModification",
        "HTTPRouteSchemeRedirect",
        "ListenerSet",
        "ReferenceGrant",
        "TCPRoute",
        "TLSRoute",
        "TLSRouteModeMixed",
        "TLSRouteModeTerminate",
    }.Order(StringComparer.Ordinal).ToArray();

    public static ObjectStatus GatewayClass(GatewayClass gatewayClass)
    {
        var features = new JsonArray();
        foreach (var feature in SupportedFeatures)
        {
            features.Add(new JsonObject { ["name"] = feature });
        }

        var status = new JsonObject
        {
            ["conditions"] = Condition.ToJson(
                [new Condition(Reasons.Accepted, true, Reasons.Accepted, "Handled by " + gatewayClass.Spec.ControllerName)],
                gatewayClass.Generation),
            ["supportedFeatures"] = features,
        };
        return Item(gatewayClass, status);
    }

    public static ObjectStatus Gateway(GatewayState gateway)
    {
        var generation = gateway.Gateway.Generation;
        // The Gateway reports its own listeners; ListenerSet listeners are reported on their ListenerSet.
        var own = gateway.Listeners.Where(l => l.OwnerSet is null).ToList();
        var listeners = new JsonArray();
        foreach (var listener in own)
        {
            listeners.Add(Listener(listener, generation));
        }

        var invalid = own
            .Where(l => l.AcceptError is not null || l.CertificateError is not null || l.ClientValidationError is not null || l.KindsError is not null || l.Conflict is not null)
            .ToList();
        Condition accepted;
        if (gateway.AcceptError is { } addressError)
        {
            accepted = new Condition(Reasons.Accepted, false, addressError.Reason, addressError.Message);
        }
        else if (own.Count > 0 && own.All(l => l.AcceptError is not null))
        {
            accepted = new Condition(Reasons.Accepted, false, Reasons.ListenersNotValid, "no listener is valid: " + Describe(invalid));
        }
        else if (invalid.Count > 0)
        {
            accepted = new Condition(Reasons.Accepted, true, Reasons.ListenersNotValid, "some listeners are not valid: " + Describe(invalid));
        }
        else
        {
            accepted = new Condition(Reasons.Accepted, true, Reasons.Accepted, "Gateway accepted");
        }

        var programmedCount = own.Count(l => l.Programmed);
        var programmed = gateway.AcceptError is not null
            ? new Condition(Reasons.Programmed, false, Reasons.Invalid, "Gateway is not accepted")
            : programmedCount == 0
                ? new Condition(Reasons.Programmed, false, Reasons.Invalid, "no listener can be served")
                : new Condition(Reasons.Programmed, true, Reasons.Programmed, $"{programmedCount} of {own.Count} listeners programmed");

        var addresses = new JsonArray();
        if (gateway.AcceptError is null)
        {
            foreach (var address in gateway.Addresses)
            {
                addresses.Add(new JsonObject { ["type"] = "IPAddress", ["value"] = address });
            }
        }

        var status = new JsonObject
        {
            ["addresses"] = addresses,
            ["conditions"] = Condition.ToJson([accepted, programmed, .. GatewayTls.GatewayConditions(gateway)], generation),
            ["listeners"] = listeners,
        };
        if (gateway.Gateway.Spec.AllowedListeners is not null || gateway.ListenerSets.Count > 0)
        {
            status["attachedListenerSets"] = gateway.ListenerSets.Count(s => s.Accepted);
        }

        return Item(gateway.Gateway, status);
    }

    private static string Describe(IEnumerable<ListenerState> listeners) =>
        string.Join("; ", listeners.Select(l =>
            $"{l.Name}: {(l.AcceptError ?? l.Conflict ?? l.CertificateError ?? l.ClientValidationError ?? l.KindsError)!.Message}"));

    internal static JsonObject Listener(ListenerState listener, long generation)
    {
        var kinds = new JsonArray();
        foreach (var kind in listener.SupportedKinds)
        {
            kinds.Add(new JsonObject { ["group"] = kind.Group, ["kind"] = kind.Kind });
        }

        var accepted = listener.AcceptError is { } acceptError
            ? new Condition(Reasons.Accepted, false, acceptError.Reason, acceptError.Message)
            : new Condition(Reasons.Accepted, true, Reasons.Accepted, "Listener accepted");
        var programmed = listener.Programmed
            ? new Condition(Reasons.Programmed, true, Reasons.Programmed, "Listener programmed")
            : new Condition(Reasons.Programmed, false, Reasons.Invalid,
                (listener.AcceptError ?? listener.Conflict ?? listener.CertificateError ?? listener.KindsError)?.Message
                ?? (listener.Gateway.AcceptError is not null ? "Gateway is not accepted" : "no supported route kinds"));
        var refError = listener.CertificateError ?? listener.ClientValidationError ?? listener.KindsError;
        var resolved = refError is not null
            ? new Condition(Reasons.ResolvedRefs, false, refError.Reason, refError.Message)
            : new Condition(Reasons.ResolvedRefs, true, Reasons.ResolvedRefs, "All references resolved");
        var conflicted = listener.Conflict is { } conflict
            ? new Condition(Reasons.Conflicted, true, conflict.Reason, conflict.Message)
            : new Condition(Reasons.Conflicted, false, Reasons.NoConflicts, "No conflicts");

        // attachedRoutes counts routes accepted through this listener, whatever the listener's own state.
        return new JsonObject
        {
            ["name"] = listener.Name,
            ["supportedKinds"] = kinds,
            ["attachedRoutes"] = listener.Routes.Count,
            ["conditions"] = Condition.ToJson([accepted, programmed, resolved, conflicted, .. OverlappingTls.ListenerConditions(listener)], generation),
        };
    }

    public static ObjectStatus HttpRoute(CompiledRoute route, IReadOnlyList<ParentResult> parents, string controllerName)
    {
        var generation = route.Route.Generation;
        var array = new JsonArray();
        foreach (var parent in parents)
        {
            var conditions = new List<Condition>();
            if (parent.Error is { } error)
            {
                conditions.Add(new Condition(Reasons.Accepted, false, error.Reason, error.Message));
            }
            else
            {
                var names = string.Join(", ", parent.Listeners.Select(l => l.Listener.Name));
                conditions.Add(new Condition(Reasons.Accepted, true, Reasons.Accepted, $"Route accepted by listener(s) {names}"));
            }

            conditions.Add(route.ResolveError is { } refError
                ? new Condition(Reasons.ResolvedRefs, false, refError.Reason, refError.Message)
                : new Condition(Reasons.ResolvedRefs, true, Reasons.ResolvedRefs, "All references resolved"));
            if (route.DroppedRules.Count > 0 && route.Rules.Count > 0 && route.AcceptError is null)
            {
                conditions.Add(new Condition(Reasons.PartiallyInvalid, true, Reasons.UnsupportedValue, string.Join("; ", route.DroppedRules)));
            }

            array.Add(new JsonObject
            {
                ["parentRef"] = ParentRefJson(parent.ParentRef),
                ["controllerName"] = controllerName,
                ["conditions"] = Condition.ToJson(conditions, generation),
            });
        }

        return Item(route.Route, new JsonObject { ["parents"] = array });
    }

    /// <summary>The parentRef as the user wrote it (only the fields they set), so status parents can be matched to spec.</summary>
    private static JsonObject ParentRefJson(ParentReference parentRef)
    {
        var json = new JsonObject();
        if (parentRef.Group is not null)
        {
            json["group"] = parentRef.Group;
        }

        if (parentRef.Kind is not null)
        {
            json["kind"] = parentRef.Kind;
        }

        if (parentRef.Namespace is not null)
        {
            json["namespace"] = parentRef.Namespace;
        }

        json["name"] = parentRef.Name;
        if (parentRef.SectionName is not null)
        {
            json["sectionName"] = parentRef.SectionName;
        }

        if (parentRef.Port is not null)
        {
            json["port"] = parentRef.Port;
        }

        return json;
    }

    private static ObjectStatus Item(KubeObject obj, JsonObject status) =>
        new(obj.ApiVersion, obj.Kind, obj.IsNamespaced ? obj.Namespace : null, obj.Name, obj.Generation, status);
}
