namespace Irrigation.Influx.Tests.TestSupport;

/// <summary>Waits for a condition with a deadline instead of a fixed sleep.</summary>
internal static class Poll
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(15);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(25);
        }
    }
}
