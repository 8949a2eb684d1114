using Irrigation.Gateway.Commands;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>The budget of answers to refused junk and forgeries: a burst, then a steady trickle, the rest counted.</summary>
public sealed class RefusalBudgetTests
{
    [Fact]
    public void Flood_BurstAnswered_ThenNone_Counted()
    {
        var budget = new RefusalBudget(new ManualClock());

        var answered = Enumerable.Range(0, 100).Count(_ => budget.TryTake());

        Assert.Equal(RefusalBudget.Burst, answered);
        Assert.Equal(100 - RefusalBudget.Burst, budget.Suppressed);
        Assert.Equal(100 - RefusalBudget.Burst, budget.TakeSuppressed());
        Assert.Equal(0, budget.Suppressed);
    }

    [Fact]
    public void AfterTheBurst_RefillsAtPerMinute_NeverAboveTheBurst()
    {
        var clock = new ManualClock();
        var budget = new RefusalBudget(clock);
        while (budget.TryTake())
        {
        }

        clock.Advance(TimeSpan.FromSeconds(10)); // 30 a minute: 5 in 10 s
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => budget.TryTake()));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RefusalBudget.Burst, Enumerable.Range(0, 100).Count(_ => budget.TryTake()));
    }
}
