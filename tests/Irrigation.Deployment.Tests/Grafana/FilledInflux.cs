namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>
/// An influxd filled by the real pipeline for about a minute, shared by every dashboard query: three simulated
/// stations with two pumps each, pump 1 of the first station started and stopped through the API (command outcomes) and then its mains cut (an active alarm), a 6-second drop of one station's devices (a gap in good data and a comms-lost alarm), availability sampled every 2 s, and the roll-ups
/// backfilled so rollup_1m and rollup_1h have data without waiting for their interval boundaries.
/// </summary>
public sealed class FilledInflux : IAsyncLifetime
{
    public static readonly TimeSpan DataTime = TimeSpan.FromSeconds(40);

    public TelemetryPipeline Pipeline { get; private set; } = null!;

    /// <summary>The station the $station variable is set to.</summary>
    public string Station => Pipeline.Stations[0];

    /// <summary>The station whose devices were dropped for a while.</summary>
    public string DroppedStation => Pipeline.Stations[1];

    public async Task InitializeAsync()
    {
        Pipeline = await TelemetryPipeline.StartAsync(stations: 3);
        var started = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(15));
        await Pipeline.StartAndStopPumpAsync(Station);
        await Pipeline.CutMainsAsync(Station); // a critical alarm that is still active at the end
        await Pipeline.DropStationAsync(DroppedStation, TimeSpan.FromSeconds(6)); // also raises and clears a comms_lost alarm
        var remaining = DataTime - (DateTime.UtcNow - started);
        if (remaining > TimeSpan.Zero)
            await Task.Delay(remaining);

        await RecordLossAsync(); // what the server writes when a gap cannot be repaired (proven end to end in GapRepairEndToEndTests)
        var counts = await Pipeline.CountsPerStationAsync();
        if (counts.Count != Pipeline.Stations.Count || counts.Values.Any(c => c < 10))
            throw new InvalidOperationException($"the pipeline stored too little telemetry: {string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"))}");
        if (await Pipeline.BackfillRollupsAsync() < 4)
            throw new InvalidOperationException("the server created fewer than four continuous queries");
    }

    /// <summary>Messages of <see cref="Station"/> recorded as lost: the data_loss point the server writes.</summary>
    public const long LostMessages = 7;

    private async Task RecordLossAsync()
    {
        var line = $"data_loss,gateway=gw-01,reason=not_in_history,station={Station} messages={LostMessages}i,from_seq=3i,to_seq=9i,epoch=\"e1\" {DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeMilliseconds()}";
        using var http = new HttpClient { BaseAddress = Pipeline.Influxd.Url };
        using var content = new StringContent(line);
        using var response = await http.PostAsync(new Uri($"write?db={TelemetryPipeline.Database}&precision=ms", UriKind.Relative), content);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"data_loss not written: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        if (Pipeline is not null)
            await Pipeline.DisposeAsync();
    }
}
