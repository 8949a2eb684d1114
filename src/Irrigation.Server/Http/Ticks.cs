namespace Irrigation.Server.Http;

/// <summary>Periodic loops that end quietly on shutdown.</summary>
internal static class Ticks
{
    /// <summary>Waits for the next tick; false once stopping (no exception to catch in every loop).</summary>
    public static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
