using System.Data.Common;
using Irrigation.Links;
using Irrigation.Server.Http;
using Irrigation.Server.State;
using Irrigation.Sl651.Client;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Microsoft.Extensions.Options;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Uplink;

/// <summary>
/// Reports every configured station to the platform (docs/sl651.md): a 2FH keep-alive while idle, a 32H timed report
/// and 44H pump/motor data every <see cref="UplinkOptions.ReportInterval"/>, a 4CH pump state when a pump starts or
/// stops, and (from <see cref="UplinkAlarmReports"/>) a 33H additional report when an alarm is raised. Every report is
/// queued in the server database first (<see cref="UplinkQueueStore"/>); on the leading instance one sender per station
/// sends the queue in order and removes a frame only when the platform acknowledged it, so an outage, a restart or the
/// loss of the leading instance loses nothing and the backlog replays in order from whichever instance leads next.
/// </summary>
public sealed class UplinkWorker : BackgroundService
{
    /// <summary>How often a sender on an instance that does not lead checks whether it leads now (no database query).</summary>
    private static readonly TimeSpan LeaderLook = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a leading sender with an empty queue waits for its own next report before looking in the database
    /// again: only the leader queues, so this only finds what a former leader queued in the moment of a hand-over.
    /// </summary>
    private static readonly TimeSpan EmptyLook = TimeSpan.FromSeconds(10);

    private readonly UplinkOptions _options;
    private readonly UplinkStations _stations;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<UplinkWorker> _logger;
    private readonly InstanceLeadership _leadership;

    public UplinkWorker(IOptions<UplinkOptions> options, UplinkStations stations, StationRegistry registry, LatestValueCache cache, TimeProvider time, IServiceProvider services, ILoggerFactory loggers, ILogger<UplinkWorker> logger, InstanceLeadership leadership, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        if (_options.Enabled)
            Metrics = new UplinkMetrics(stations, meters);
        _stations = stations;
        _registry = registry;
        _cache = cache;
        _time = time;
        _services = services;
        _loggers = loggers;
        _logger = logger;
        _leadership = leadership;
    }

    /// <summary>The uplink's metrics; null while the uplink is off (no <c>Irrigation:Uplink:Host</c>).</summary>
    internal UplinkMetrics? Metrics { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
            return;
        _logger.LogInformation("SL 651 uplink to {Host}:{Port} (centre {Centre}) for {Count} station(s).", _options.Host, _options.Port, _options.CentreAddress, _stations.All.Count);
        var runs = new List<Task>();
        foreach (var station in _stations.All)
        {
            if (_registry.Find(station.Id) is null)
                _logger.LogWarning("SL 651 uplink: station {Station} is not in the registry; its reports will carry no values until it reports.", station.Id);
            var logger = _loggers.CreateLogger("Irrigation.Server.Uplink." + station.Id);
            var client = new Sl651StationClient(
                new TcpStreamConnector(_options.Host, _options.Port),
                new Sl651StationClientOptions { Header = station.Header, AckTimeout = _options.AckTimeout },
                new PlatformPumpControl(station, _options, _stations, _services, logger),
                logger,
                _stations.Counters);
            runs.Add(RunStationAsync(station, client, logger, stoppingToken));
        }

        await Task.WhenAll(runs);
    }

    private async Task RunStationAsync(UplinkStation station, Sl651StationClient client, ILogger logger, CancellationToken stoppingToken)
    {
        await using (client)
        {
            await Task.WhenAll(
                SendQueueAsync(station, client, logger, stoppingToken),
                KeepAliveAsync(station, client, logger, stoppingToken),
                ReportAsync(station, logger, stoppingToken),
                WatchPumpsAsync(station, logger, stoppingToken));
        }
    }

    private DateTime Now => StationClock.Now(_time, _options.UtcOffset);

    private StationSnapshot? Snapshot(UplinkStation station) => _registry.Find(station.Id) is { } entry ? _cache.Snapshot(entry) : null;

    /// <summary>
    /// The store-and-forward sender, on the leading instance only: the oldest frame in the database first, removed only
    /// once acknowledged. The others do not send, so a frame is not sent by two instances; after a hand-over the new
    /// leader starts from the head the dead one left.
    /// </summary>
    private async Task SendQueueAsync(UplinkStation station, Sl651StationClient client, ILogger logger, CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_leadership.IsLeader)
                {
                    await Task.Delay(LeaderLook, _time, stoppingToken);
                    continue;
                }

                if (station.Peek() is not { } frame)
                {
                    await station.WaitForAppendAsync(EmptyLook, stoppingToken);
                    continue;
                }

                await client.SendFrameAsync(frame.Frame, stoppingToken);
                station.Acknowledged(frame);
                if (failing)
                    logger.LogInformation("SL 651 uplink {Station}: platform acknowledging again; {Pending} frame(s) still queued.", station.Id, station.Pending);
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Sl651DeliveryException ex)
            {
                if (!failing)
                    logger.LogWarning("SL 651 uplink {Station}: {Reason} — {Pending} frame(s) kept in the server database; retrying every {Delay}.", station.Id, ex.Message, station.Pending, _options.RetryDelay);
                failing = true;
                await Delay(_options.RetryDelay, stoppingToken);
            }
            catch (DbException ex)
            {
                logger.LogWarning("SL 651 uplink {Station}: the queue in the server database cannot be read ({Reason}); retrying every {Delay}.", station.Id, ex.Message, _options.RetryDelay);
                await Delay(_options.RetryDelay, stoppingToken);
            }
        }
    }

    /// <summary>2FH every interval (§6.6.4.2); it also opens the link, so the platform can reach the station with commands.</summary>
    private async Task KeepAliveAsync(UplinkStation station, Sl651StationClient client, ILogger logger, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.KeepAliveInterval, _time);
        do
        {
            try
            {
                if (_leadership.IsLeader) // one instance speaks for the station to the platform
                    await client.SendUnacknowledgedAsync(new Sl651KeepAlive(station.ReadLastSerial(), Now), stoppingToken);
            }
            catch (Sl651DeliveryException ex)
            {
                logger.LogDebug("SL 651 uplink {Station}: keep-alive not sent: {Reason}", station.Id, ex.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        while (await Ticks.NextAsync(timer, stoppingToken));
    }

    /// <summary>32H timed report and (unless the station says not to) 44H pump/motor data each interval.</summary>
    private async Task ReportAsync(UplinkStation station, ILogger logger, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ReportInterval, _time);
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            if (!_leadership.IsLeader || Snapshot(station) is not { } snapshot)
                continue;
            var now = Now;
            void Skipped(string what) => logger.LogWarning("SL 651 uplink {Station}: left out {Skipped}.", station.Id, what);
            Enqueue(station, logger, serial => UplinkReports.Observation(Sl651FunctionCode.Timed, serial, now, now, station.Header.Station, snapshot, station.Options, Skipped));
            if (station.Options.SendPumpData)
                Enqueue(station, logger, serial => UplinkReports.PumpRealTime(serial, now, station.Header.Station, snapshot, station.Options, Skipped));
        }
    }

    /// <summary>A 4CH pump state self-report (§6.6.4.26) when the running pumps change, and once they are first known.</summary>
    private async Task WatchPumpsAsync(UplinkStation station, ILogger logger, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.PumpStateInterval, _time);
        string? last = null;
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            if (!_leadership.IsLeader || Snapshot(station) is not { } snapshot || UplinkReports.PumpsRunning(snapshot).Count == 0)
                continue;
            var states = UplinkReports.PumpStates(snapshot, station.Options.Pumps);
            if (states.ToString() == last)
                continue;
            last = states.ToString();
            Enqueue(station, logger, serial => new Sl651PumpStateReport(serial, Now, station.Header.Station, states));
        }
    }

    private static void Enqueue(UplinkStation station, ILogger logger, Func<ushort, Sl651Message> build)
    {
        try
        {
            if (station.Enqueue(build) is { } message)
                logger.LogDebug("SL 651 uplink {Station}: queued {Function:X2}H serial {Serial}.", station.Id, (byte)message.Function, message.Serial);
            else
                logger.LogError("SL 651 uplink {Station}: queue full ({Pending} frames); a report was refused.", station.Id, station.Pending);
        }
        catch (DbException ex)
        {
            logger.LogError("SL 651 uplink {Station}: a report was not queued, the server database failed ({Reason}).", station.Id, ex.Message);
        }
    }

    private async Task Delay(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, _time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
