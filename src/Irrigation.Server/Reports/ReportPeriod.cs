using System.Globalization;
using Irrigation.Contracts;

namespace Irrigation.Server.Reports;

/// <summary>
/// The span a report covers: one Beijing day (日报, <c>2026-11-03</c>) or one Beijing month (月报, <c>2026-11</c>),
/// from its first day's midnight to the midnight after its last (Beijing time, UTC+8).
/// </summary>
public sealed record ReportPeriod(string Kind, DateOnly First, DateOnly Last)
{
    public const string Day = "day";
    public const string Month = "month";
    public const string Range = "range";

    /// <summary>Unix ms of the Beijing midnight that starts the period.</summary>
    public long FromMs => BeijingTime.StartOfMs(First);

    /// <summary>Unix ms of the Beijing midnight after the period (exclusive).</summary>
    public long ToMs => BeijingTime.StartOfMs(Last.AddDays(1));

    /// <summary><c>2026-11</c> or <c>2026-11-03</c>: the API's and the archive's name for the period.</summary>
    public string Key => Kind switch
    {
        Month => First.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        Day => First.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        _ => $"{First.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}_{Last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
    };

    /// <summary>As a Chinese title names it: 2026年11月, 2026年11月3日.</summary>
    public string Label => Kind switch
    {
        Month => string.Create(CultureInfo.InvariantCulture, $"{First.Year}年{First.Month}月"),
        Day => DayLabel(First),
        _ => $"{DayLabel(First)}至{DayLabel(Last)}",
    };

    /// <summary>日报, 月报, or 统计表 for any other span.</summary>
    public string Name => Kind switch { Month => "月报", Day => "日报", _ => "统计表" };

    private static string DayLabel(DateOnly day) => string.Create(CultureInfo.InvariantCulture, $"{day.Year}年{day.Month}月{day.Day}日");

    /// <summary>The months that overlap this period, each whole.</summary>
    public IEnumerable<ReportPeriod> Months()
    {
        for (var month = new DateOnly(First.Year, First.Month, 1); month <= Last; month = month.AddMonths(1))
            yield return OfMonth(month.Year, month.Month);
    }

    public IEnumerable<DateOnly> Days()
    {
        for (var day = First; day <= Last; day = day.AddDays(1))
            yield return day;
    }

    public static ReportPeriod OfMonth(int year, int month) =>
        new(Month, new DateOnly(year, month, 1), new DateOnly(year, month, 1).AddMonths(1).AddDays(-1));

    public static ReportPeriod OfDay(DateOnly day) => new(Day, day, day);

    /// <summary>Any span of whole days, first..last inclusive (the acceptance pack's range).</summary>
    public static ReportPeriod Between(DateOnly first, DateOnly last) => new(Range, first, last);

    /// <summary>The last whole Beijing month before <paramref name="now"/>.</summary>
    public static ReportPeriod PreviousMonth(DateTimeOffset now)
    {
        var today = BeijingTime.DateOf(now);
        var first = new DateOnly(today.Year, today.Month, 1).AddMonths(-1);
        return OfMonth(first.Year, first.Month);
    }

    /// <summary>Reads <c>yyyy-MM</c> (a month) or <c>yyyy-MM-dd</c> (a day); false for anything else or a year outside 2000..2999.</summary>
    public static bool TryParse(string? text, out ReportPeriod period)
    {
        period = null!;
        if (text is null)
            return false;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year is >= 2000 and < 3000)
        {
            period = OfDay(day);
            return true;
        }

        if (DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month) && month.Year is >= 2000 and < 3000)
        {
            period = OfMonth(month.Year, month.Month);
            return true;
        }

        return false;
    }
}
