using System.Buffers;
using System.Threading.Channels;
using Irrigation.Contracts;
using Irrigation.Gateway.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Publishing;

/// <summary>
/// Answers the server's repair requests (<c>{root}/gateways/{id}/repair</c>, docs/mqtt.md "Gap repair"): reads the asked-for
/// sequence numbers from the <see cref="PublishHistory"/>, queues them in the outbox again marked <c>"replayed": true</c>,
/// and queues a result naming the ranges the history no longer holds — the server records those as loss. Requests
/// wait in a small bounded queue and run one at a time, at most <see cref="HistorySettings.MaxRepairMessages"/>
/// messages each, so a flood of requests cannot fill the disk or the memory. Also keeps the history: fsync every
/// second, pruning by age every ten minutes.
/// </summary>
public sealed class RepairResponder : BackgroundService
{
    private const int QueuedRequests = 16;
    private const int ReadChunk = 500;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Older requests are ignored: the server asks again while a gap is open, so an old request is superseded — and a
    /// broker that held requests for an offline gateway (MQTT 3.1.1 has no expiry) must not make it send a gap many times.
    /// </summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(15);

    private readonly GatewayOptions _options;
    private readonly HashSet<string> _stations;
    private readonly PublishHistory _history;
    private readonly Outbox _outbox;
    private readonly GatewayCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger<RepairResponder> _logger;
    private readonly Channel<ReadOnlyMemory<byte>> _requests = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(QueuedRequests) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public RepairResponder(GatewayOptions options, IReadOnlyList<StationDefinition> stations, PublishHistory history, Outbox outbox, GatewayCounters counters, TimeProvider time, ILogger<RepairResponder> logger)
    {
        ArgumentNullException.ThrowIfNull(stations);
        _options = options;
        _stations = stations.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        _history = history;
        _outbox = outbox;
        _counters = counters;
        _time = time;
        _logger = logger;
    }

    /// <summary>Queues a request payload; false (logged) when requests already wait — the server asks again later.</summary>
    public bool TryAccept(ReadOnlyMemory<byte> payload)
    {
        if (_requests.Writer.TryWrite(payload.ToArray()))
            return true;
        _logger.LogWarning("Repair request dropped: {Count} request(s) already waiting. The server asks again.", QueuedRequests);
        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var upkeep = UpkeepLoopAsync(stoppingToken);
        try
        {
            await foreach (var payload in _requests.Reader.ReadAllAsync(stoppingToken))
                Answer(payload.Span);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Repair responder stopping.");
        }

        await upkeep;
    }

    /// <summary>Queues the asked-for messages again and the result; never throws on a bad request.</summary>
    internal RepairResultMessage? Answer(ReadOnlySpan<byte> payload)
    {
        if (!RepairPayload.TryRead(payload, out RepairRequestMessage? request, out var error))
        {
            _logger.LogWarning("Invalid repair request: {Error}.", error);
            return null;
        }

        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(request!.RequestedAtMs);
        if (request.RequestedAtMs > 0 && age > StaleAfter)
        {
            _logger.LogInformation("Repair request {Id} for {Station} is {Age:0} min old; ignored (the server asks again while the gap is open).", request.Id, request.Station, age.TotalMinutes);
            return null;
        }

        var missing = new List<SequenceRange>();
        long republished = 0;
        string? reason = null;
        if (!_stations.Contains(request.Station))
            reason = RepairReasons.UnknownStation;
        else if (request.Epoch != _history.Epoch)
        {
            reason = RepairReasons.UnknownEpoch;
            missing.AddRange(request.Ranges);
        }
        else
        {
            var budget = _options.History.MaxRepairMessages;
            foreach (var range in request.Ranges)
            {
                if (budget <= 0)
                    break; // not answered: neither sent nor missing; the server asks again for what is still open
                var asked = range with { To = range.From + Math.Min(range.Count, budget) - 1 };
                budget -= (int)asked.Count;
                republished += Republish(request.Station, asked, missing);
            }
        }

        missing = Compact(missing);
        var result = new RepairResultMessage(request.Id, request.Station, request.Epoch, _options.Id, republished, missing, reason, _time.GetUtcNow().ToUnixTimeMilliseconds());
        _outbox.Enqueue(Topics.RepairResult(_options.TopicRoot, _options.Id), RepairPayload.Write(result));
        var lost = missing.Sum(r => r.Count);
        _counters.RepairAnswered(republished, lost);
        _logger.LogInformation("Repair {Id} for {Station} (epoch {Epoch}, {Ranges} range(s)): {Republished} message(s) queued again, {Missing} no longer in the history{Reason}.",
            request.Id, request.Station, request.Epoch, request.Ranges.Count, republished, lost, reason is null ? "" : $" ({reason})");
        return result;
    }

    /// <summary>Queues what the history holds of <paramref name="range"/>; adds the holes to <paramref name="missing"/>.</summary>
    private long Republish(string station, SequenceRange range, List<SequenceRange> missing)
    {
        long sent = 0;
        var next = range.From;
        var topic = Topics.Telemetry(_options.TopicRoot, station);
        var buffer = new ArrayBufferWriter<byte>(1024);
        while (next <= range.To)
        {
            var records = _history.Read(station, range with { From = next }, ReadChunk);
            if (records.Count == 0)
                break;
            foreach (var record in records)
            {
                if (record.Ordinal < next)
                    continue; // a duplicate number (never written twice, but never trusted either)
                if (record.Ordinal > next)
                    missing.Add(new SequenceRange(next, record.Ordinal - 1));
                if (!TelemetryPayload.TryRead(record.Payload, out var header, out var values, out _))
                {
                    missing.Add(new SequenceRange(record.Ordinal, record.Ordinal)); // CRC-checked, so only a payload this version cannot read
                }
                else
                {
                    buffer.ResetWrittenCount();
                    TelemetryPayload.Write(buffer, header with { Replayed = true }, values.ToArray());
                    _outbox.Enqueue(topic, buffer.WrittenSpan);
                    sent++;
                }

                next = record.Ordinal + 1;
            }
        }

        if (next <= range.To)
            missing.Add(new SequenceRange(next, range.To));
        return sent;
    }

    /// <summary>Adjacent ranges merged; at most what one result may carry (the rest stays open on the server, asked again).</summary>
    private static List<SequenceRange> Compact(List<SequenceRange> ranges)
    {
        var merged = new List<SequenceRange>(Math.Min(ranges.Count, RepairPayload.MaxRanges));
        foreach (var range in ranges.OrderBy(r => r.From))
        {
            if (merged.Count > 0 && range.From <= merged[^1].To + 1)
                merged[^1] = merged[^1] with { To = Math.Max(merged[^1].To, range.To) };
            else if (merged.Count < RepairPayload.MaxRanges)
                merged.Add(range);
        }

        return merged;
    }

    private async Task UpkeepLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, _time);
        var lastPrune = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _history.Flush();
                if (_time.GetElapsedTime(lastPrune) >= PruneInterval)
                {
                    lastPrune = _time.GetTimestamp();
                    _history.Prune();
                }
            }
        }
        catch (OperationCanceledException)
        {
            _history.Flush();
        }
    }
}
