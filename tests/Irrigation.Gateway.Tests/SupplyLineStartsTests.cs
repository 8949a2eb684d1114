using Irrigation.Gateway.Commands;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>Turns on a supply line: starts asked together are spread by the gap, lines are independent, a free line waits for nothing.</summary>
public sealed class SupplyLineStartsTests
{
    private static readonly TimeSpan Gap = TimeSpan.FromSeconds(10);

    [Fact]
    public void Take_ThreeStartsAtOnceOnOneLine_WaitZeroThenOneGapThenTwo()
    {
        var lines = new SupplyLineStarts(new ManualClock());

        Assert.Equal([TimeSpan.Zero, Gap, 2 * Gap], [lines.Take("城东3号变", Gap), lines.Take("城东3号变", Gap), lines.Take("城东3号变", Gap)]);
    }

    [Fact]
    public void Take_OtherLine_IsNotHeldUp()
    {
        var lines = new SupplyLineStarts(new ManualClock());
        lines.Take("城东3号变", Gap);

        Assert.Equal(TimeSpan.Zero, lines.Take("新塘1号变", Gap));
    }

    [Fact]
    public void Take_AfterTheGapHasPassed_NoWait_PartWay_TheRest()
    {
        var clock = new ManualClock();
        var lines = new SupplyLineStarts(clock);
        lines.Take("城东3号变", Gap);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(6), lines.Take("城东3号变", Gap));
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.Zero, lines.Take("城东3号变", Gap));
    }
}
