namespace Irrigation.Contracts;

/// <summary>
/// Beijing time (Asia/Shanghai, UTC+8, no daylight saving since 1991): accounting days start at Beijing midnight, and
/// plans are written in it (the gateway runs them by it, with or without a tz database).
/// The system's tz database is used when present; without it (a container with no tzdata) a fixed +08:00 zone,
/// which is the same for every date the accounting can see.
/// </summary>
public static class BeijingTime
{
    public const string ZoneId = "Asia/Shanghai";

    public static readonly TimeSpan FixedOffset = TimeSpan.FromHours(8);

    public static TimeZoneInfo Zone { get; } = Load();

    private static TimeZoneInfo Load()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(ZoneId);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone(ZoneId, FixedOffset, "China Standard Time", "China Standard Time");
        }
    }

    /// <summary>The Beijing date of an instant.</summary>
    public static DateOnly DateOf(DateTimeOffset time) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, Zone).DateTime);

    public static DateOnly DateOf(long unixMs) => DateOf(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary>The instant of Beijing midnight that starts <paramref name="date"/>.</summary>
    public static DateTimeOffset StartOf(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    public static long StartOfMs(DateOnly date) => StartOf(date).ToUnixTimeMilliseconds();

    /// <summary>The instant (Unix ms) of <paramref name="time"/> on the Beijing date <paramref name="date"/>.</summary>
    public static long Ms(DateOnly date, TimeOnly time)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
    }
}
