namespace Meshway.Translation.Status;

/// <summary>Condition types and reasons, spelled as the Gateway API defines them (apis/v1/*_types.go).</summary>
public static class Reasons
{
    // Condition types.
    public const string Accepted = "Accepted";
    public const string Programmed = "Programmed";
    public const string ResolvedRefs = "ResolvedRefs";
    public const string Conflicted = "Conflicted";
    public const string PartiallyInvalid = "PartiallyInvalid";

    // Gateway and listener reasons.
    public const string ListenersNotValid = "ListenersNotValid";
    public const string UnsupportedAddress = "UnsupportedAddress";
    public const string Invalid = "Invalid";
    public const string UnsupportedProtocol = "UnsupportedProtocol";
    public const string UnsupportedValue = "UnsupportedValue";
    public const string InvalidCertificateRef = "InvalidCertificateRef";
    public const string InvalidRouteKinds = "InvalidRouteKinds";
    public const string RefNotPermitted = "RefNotPermitted";
    public const string HostnameConflict = "HostnameConflict";
    public const string ProtocolConflict = "ProtocolConflict";
    public const string NoConflicts = "NoConflicts";

    // Route reasons.
    public const string NotAllowedByListeners = "NotAllowedByListeners";
    public const string NoMatchingListenerHostname = "NoMatchingListenerHostname";
    public const string NoMatchingParent = "NoMatchingParent";
    public const string IncompatibleFilters = "IncompatibleFilters";
    public const string InvalidKind = "InvalidKind";
    public const string BackendNotFound = "BackendNotFound";
}
