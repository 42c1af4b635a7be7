namespace Meshway.Waypoint.Tests.Infrastructure;

/// <summary>One mesh (stand-ins + waypoint) shared by the e2e classes: starting it costs seconds.</summary>
[CollectionDefinition(Name)]
public sealed class WaypointCollection : ICollectionFixture<WaypointFixture>
{
    public const string Name = "waypoint mesh";
}
