using Meshway.DataPlane.Pipeline;

namespace Meshway.DataPlane.Tests.Pipeline;

public sealed class HttpRequestViewTests
{
    [Theory]
    [InlineData("?animal=whale", "animal", "whale")]
    [InlineData("?ANIMAL=whale", "animal", null)] // names are case-sensitive
    [InlineData("?a=1&animal=dolphin&animal=whale", "animal", "dolphin")] // the first value counts
    [InlineData("?animal", "animal", "")]
    [InlineData("?x=1&&animal=orca", "animal", "orca")]
    [InlineData("?an%69mal=se%20al", "animal", "se al")]
    [InlineData("?animal=sea+lion", "animal", "sea lion")]
    [InlineData("?animals=many", "animal", null)]
    [InlineData("", "animal", null)]
    public void FindQueryParameter_MatchesNamesExactly(string query, string name, string? expected)
    {
        Assert.Equal(expected, HttpRequestView.FindQueryParameter(query, name));
    }
}
