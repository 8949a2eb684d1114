namespace Irrigation.Testing.Waiting;

/// <summary>Bounded waiting against running processes: probe until a condition holds or the deadline passes, then hand back the last answer.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(15);

    /// <summary>Waits until <paramref name="condition"/> holds, checking every 10 ms; throws naming <paramref name="what"/> at the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(10);
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// Calls <paramref name="probe"/> every <paramref name="interval"/> (default 500 ms) until <paramref name="done"/>
    /// holds or <paramref name="timeout"/> passes, and returns the last value for the caller to assert on. A probe that
    /// throws a transient error (a peer restarting: HTTP, JSON of a half-written answer, an InfluxDB query error, or
    /// whatever <paramref name="transient"/> adds) counts as "not yet"; the last such error is rethrown at the deadline.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null, Func<Exception, bool>? transient = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + timeout;
        Exception? lastError = null;
        var hasValue = false;
        T last = default!;
        while (true)
        {
            try
            {
                last = await probe();
                hasValue = true;
                lastError = null;
                if (done(last))
                    return last;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Irrigation.Influx.Query.InfluxQueryException or System.Text.Json.JsonException || transient?.Invoke(ex) == true)
            {
                lastError = ex;
            }

            if (DateTime.UtcNow >= deadline)
            {
                if (!hasValue || lastError is not null)
                    throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0} s; last error: {lastError?.Message ?? "none"}", lastError);
                return last;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500));
        }
    }
}
