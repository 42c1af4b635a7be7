namespace Meshway.Routing.Model;

/// <summary>Names the route object a rule came from (for metrics, logs and the config dump).</summary>
public sealed record RouteRef(string Kind, string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}
