namespace Irrigation.Dlt645.Client;

/// <summary>Timing of one DL/T 645 link. Defaults suit a 2400-baud meter behind a 4G DTU.</summary>
public sealed class Dlt645ClientOptions
{
    /// <summary>A 20-byte frame takes ~90 ms each way at 2400 8E1, the meter up to 500 ms, the cellular hop ~600 ms.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(3);
    public const int DefaultRetries = 1;
    public const int DefaultPreambleLength = 4;
    public const int DefaultMaxFollowUpFrames = 16;

    /// <summary>How long to wait for the reply to one frame.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Further attempts after a timeout or a dropped connection (never after an abnormal reply).</summary>
    public int Retries { get; set; } = DefaultRetries;

    /// <summary>FEH bytes sent before every frame to wake the meter (§7.3.1 says four).</summary>
    public int PreambleLength { get; set; } = DefaultPreambleLength;

    /// <summary>Most 12H follow-up frames fetched for one read; a meter that never stops is an error.</summary>
    public int MaxFollowUpFrames { get; set; } = DefaultMaxFollowUpFrames;

    /// <summary>
    /// A 4G DTU's heartbeat (e.g. "HB\r\n"), sent on the tunnel between the meter's frames: skipped when it arrives
    /// where a frame may begin, instead of being counted as garbage. Null on a plain serial server.
    /// </summary>
    public byte[]? Heartbeat { get; set; }

    /// <summary>Throws with the name of the first invalid setting.</summary>
    public void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(RequestTimeout)} must be positive, was {RequestTimeout}.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be positive, was {ConnectTimeout}.");
        if (Retries is < 0 or > 10)
            throw new ArgumentException($"{nameof(Retries)} must be 0..10, was {Retries}.");
        if (PreambleLength is < 0 or > 8)
            throw new ArgumentException($"{nameof(PreambleLength)} must be 0..8, was {PreambleLength}.");
        if (MaxFollowUpFrames is < 0 or > 255)
            throw new ArgumentException($"{nameof(MaxFollowUpFrames)} must be 0..255, was {MaxFollowUpFrames}.");
        if (Heartbeat is { Length: 0 } || Heartbeat?.Contains(Dlt645.Framing.Dlt645FrameFormatter.StartByte) == true)
            throw new ArgumentException($"{nameof(Heartbeat)} must be non-empty and must not contain 68H, which would begin a frame.");
    }
}
