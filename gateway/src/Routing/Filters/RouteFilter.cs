namespace Meshway.Routing.Filters;

/// <summary>A filter on a rule or a backendRef, applied in the order the user wrote them.</summary>
public abstract class RouteFilter
{
    private protected RouteFilter()
    {
    }
}
