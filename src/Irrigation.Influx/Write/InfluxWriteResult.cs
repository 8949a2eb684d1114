namespace Irrigation.Influx.Write;

/// <summary>Why points were lost. Only bad points are dropped; a batch that cannot be delivered throws instead.</summary>
public enum InfluxDropReason
{
    /// <summary>The server could not parse the line ("unable to parse").</summary>
    Unparsable,

    /// <summary>A field's type differs from the type already stored for it in the shard.</summary>
    FieldTypeConflict,

    /// <summary>The timestamp is older than the retention policy keeps ("points beyond retention policy").</summary>
    BeyondRetention,

    /// <summary>One line alone is larger than the server accepts (413).</summary>
    TooLarge,

    /// <summary>Anything else a server refused point by point (invalid tag key "time", series or tag value limits...).</summary>
    Rejected,

    /// <summary><see cref="InfluxBatchWriter"/> only: the batch could not be delivered after all retries.</summary>
    WriteFailed,
}

/// <summary>Points lost for one reason, with the server's words.</summary>
public sealed record InfluxDroppedPoints(InfluxDropReason Reason, int Count, string Message);

/// <summary>The outcome of one <see cref="InfluxWriteClient.WriteAsync"/> call that reached the server.</summary>
public sealed class InfluxWriteResult
{
    internal InfluxWriteResult(int points, IReadOnlyList<InfluxDroppedPoints> drops, int requests, int retries, TimeSpan elapsed)
    {
        Points = points;
        Drops = drops;
        Dropped = Math.Min(points, drops.Sum(d => d.Count));
        Requests = requests;
        Retries = retries;
        Elapsed = elapsed;
    }

    /// <summary>Points in the batch, as the caller counted them.</summary>
    public int Points { get; }

    /// <summary>Points stored: <see cref="Points"/> minus <see cref="Dropped"/>.</summary>
    public int Written => Points - Dropped;

    /// <summary>
    /// Points the server refused. From influxd 1.x this is as exact as its error text allows: when a batch has both
    /// unparsable lines and another kind of bad point, influxd names only the other kind and the parse failures go
    /// uncounted (see docs/influx-client.md). VictoriaMetrics never reports skipped lines, so this is 0 there.
    /// </summary>
    public int Dropped { get; }

    public IReadOnlyList<InfluxDroppedPoints> Drops { get; }

    /// <summary>HTTP requests made, retries and re-sends of split batches included.</summary>
    public int Requests { get; }

    public int Retries { get; }

    public TimeSpan Elapsed { get; }

    public override string ToString() =>
        $"points={Points} written={Written} dropped={Dropped} requests={Requests} retries={Retries} elapsed={Elapsed.TotalMilliseconds:0}ms" +
        string.Concat(Drops.Select(d => $" [{d.Reason} x{d.Count}: {d.Message}]"));
}

/// <summary>
/// A batch that was not written: retries exhausted (<see cref="IsTransient"/>), or a request the server refuses
/// as a whole (database not found, unauthorised, retention policy not found...). Nothing of it is known to be stored;
/// keep it and write it again later.
/// </summary>
public sealed class InfluxWriteException : Exception
{
    public InfluxWriteException(string message, int? statusCode, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        IsTransient = isTransient;
    }

    /// <summary>The last HTTP status, or null when no response came (connection error, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>True when the failure may pass (server down, 5xx, 429): the same batch can be tried again later.</summary>
    public bool IsTransient { get; }
}
