using Irrigation.Contracts;

namespace Irrigation.Server.Notifications;

/// <summary>A person on duty, as the escalation plans with them.</summary>
public sealed record DutyPerson(string Name, string Phone);

/// <summary>A span of the day in Beijing time, [From, To); To before From crosses midnight; From = To is the whole day.</summary>
public readonly record struct ClockWindow(TimeOnly From, TimeOnly To)
{
    public bool Contains(TimeOnly time) =>
        From == To || (From < To ? time >= From && time < To : time >= From || time < To);

    /// <summary>The first instant at or after <paramref name="unixMs"/> outside the window (itself when outside; never for a whole-day window).</summary>
    public long EndAfter(long unixMs)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), BeijingTime.Zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (!Contains(time) || From == To)
            return unixMs;
        var date = DateOnly.FromDateTime(local.DateTime);
        // Inside a window that crosses midnight and before midnight: it ends tomorrow.
        var endDate = From > To && time >= From ? date.AddDays(1) : date;
        return BeijingTime.Ms(endDate, To);
    }

    public static TimeOnly TimeOf(long unixMs) =>
        TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), BeijingTime.Zone).DateTime);
}

/// <summary>The duty rosters (值班表) per town: who is on duty in a town at a moment, in the order to notify them.</summary>
public sealed class DutyRoster
{
    private readonly Dictionary<string, List<(ClockWindow Window, IReadOnlyList<DutyPerson> People)>> _towns = new(StringComparer.Ordinal);

    public DutyRoster(IEnumerable<TownRosterOptions> rosters)
    {
        ArgumentNullException.ThrowIfNull(rosters);
        foreach (var roster in rosters)
        {
            _towns[roster.Town] = roster.Windows
                .Select(w => (new ClockWindow(NotificationOptions.ClockTime(w.From, "From"), NotificationOptions.ClockTime(w.To, "To")),
                    (IReadOnlyList<DutyPerson>)w.People.Select(p => new DutyPerson(p.Name, p.Phone)).ToList()))
                .ToList();
        }
    }

    public IReadOnlyCollection<string> Towns => _towns.Keys;

    /// <summary>Who is on duty in <paramref name="town"/> at <paramref name="unixMs"/> (the first window containing it); empty when no one.</summary>
    public IReadOnlyList<DutyPerson> OnDuty(string town, long unixMs)
    {
        if (!_towns.TryGetValue(town, out var windows))
            return [];
        var time = ClockWindow.TimeOf(unixMs);
        foreach (var (window, people) in windows)
        {
            if (window.Contains(time))
                return people;
        }

        return [];
    }
}
