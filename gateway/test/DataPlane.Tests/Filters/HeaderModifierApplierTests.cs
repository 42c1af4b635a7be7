using Meshway.DataPlane.Filters;
using Meshway.Routing.Filters;
using Microsoft.AspNetCore.Http;

namespace Meshway.DataPlane.Tests.Filters;

public sealed class HeaderModifierApplierTests
{
    [Fact]
    public void SetAddRemove_AreCaseInsensitive_AndAddAppendsWithComma()
    {
        var headers = new HeaderDictionary
        {
            ["X-Set"] = "old",
            ["x-add"] = "first",
            ["X-Remove"] = "gone",
            ["X-Keep"] = "kept",
        };
        var modifier = new HeaderModifier(
            set: [new("x-set", "new"), new("X-Fresh", "f")],
            add: [new("X-Add", "second"), new("X-New-Add", "n")],
            remove: ["x-remove"]);

        HeaderModifierApplier.Apply(modifier, headers);

        Assert.Equal("new", headers["X-Set"].ToString());
        Assert.Equal("f", headers["x-fresh"].ToString());
        Assert.Equal("first,second", headers["X-Add"].ToString());
        Assert.Equal("n", headers["X-New-Add"].ToString());
        Assert.False(headers.ContainsKey("X-Remove"));
        Assert.Equal("kept", headers["X-Keep"].ToString());
    }
}
