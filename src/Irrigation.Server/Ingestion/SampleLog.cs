using System.Text;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Logs a sample of each kind of bad message — the first one, then at most one a minute per reason — so a
/// misbehaving gateway is visible without flooding the log. Every message is counted regardless.
/// </summary>
internal sealed class SampleLog
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly ILogger _logger;
    private readonly long[] _last = new long[Enum.GetValues<DropReason>().Length];

    public SampleLog(ILogger logger) => _logger = logger;

    public void Dropped(DropReason reason, string topic, ReadOnlySpan<byte> payload)
    {
        var now = Environment.TickCount64;
        ref var last = ref _last[(int)reason];
        if (last != 0 && now - last < Interval.TotalMilliseconds)
            return;
        last = now;
        var sample = Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 300)]);
        _logger.LogWarning("Telemetry dropped ({Reason}) on {Topic}; sample: {Sample}", reason, topic, sample);
    }
}
