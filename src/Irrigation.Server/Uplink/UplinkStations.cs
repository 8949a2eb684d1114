using System.Data.Common;
using Irrigation.Server.Configuration;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Uplink;

/// <summary>
/// One station reported upward: its SL 651 header, and its store-and-forward queue and serial number in the server
/// database (<see cref="UplinkQueueStore"/>): frames wait there until the platform acknowledges them, across restarts,
/// outages and a change of the leading instance, in order, and the serial goes on from the last one given.
/// </summary>
public sealed class UplinkStation : IDisposable
{
    private readonly UplinkQueueStore _store;
    private readonly long _maxBytes;
    private readonly SemaphoreSlim _appended = new(0);
    private long _refused;
    private long _pending;
    private int _lastSerial;

    internal UplinkStation(UplinkStationOptions options, Sl651Header header, UplinkQueueStore store, long maxBytes)
    {
        Options = options;
        Header = header;
        Key = options.Address.ToUpperInvariant();
        _store = store;
        _maxBytes = maxBytes;
    }

    public UplinkStationOptions Options { get; }

    public string Id => Options.Station;

    /// <summary>The station's row key in the database: its SL 651 address, upper case.</summary>
    public string Key { get; }

    public Sl651Header Header { get; }

    /// <summary>Reports refused because the queue reached its budget.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Frames queued as of this instance's last look (for logs; the gauge reads the database).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>
    /// The serial of the last data message, which a keep-alive repeats (§6.6.4.2): read from the database, since another
    /// instance may have given the last one; the last one this instance saw while the database cannot be read.
    /// </summary>
    public ushort ReadLastSerial()
    {
        try
        {
            var serial = _store.LastSerial(Key);
            Volatile.Write(ref _lastSerial, serial);
            return serial;
        }
        catch (DbException)
        {
            return (ushort)Volatile.Read(ref _lastSerial);
        }
    }

    /// <summary>
    /// Gives the next serial to the message <paramref name="build"/> makes, frames it and appends it to the queue in
    /// one transaction: serials reach the queue, and so the platform, in the order they are given. Returns the message,
    /// or null (counted, the serial not used) when the queue is full. A database error is the caller's to log.
    /// </summary>
    public Sl651Message? Enqueue(Func<ushort, Sl651Message> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        Sl651Message? message = null;
        var serial = _store.TryAppend(Key, _maxBytes, s =>
        {
            message = build(s);
            return Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(message, Header));
        });
        if (serial is null)
        {
            Interlocked.Increment(ref _refused);
            return null;
        }

        Volatile.Write(ref _lastSerial, serial.Value);
        Interlocked.Increment(ref _pending);
        if (_appended.CurrentCount == 0)
            _appended.Release(); // wakes the sender; a second release in a race only costs it one more look
        return message;
    }

    /// <summary>The oldest frame not yet acknowledged, or null.</summary>
    public UplinkFrame? Peek()
    {
        var (head, count) = _store.Peek(Key);
        Interlocked.Exchange(ref _pending, count);
        return head;
    }

    /// <summary>The platform acknowledged <paramref name="frame"/>: it leaves the queue.</summary>
    public void Acknowledged(UplinkFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _store.Remove(frame.Id);
        Interlocked.Decrement(ref _pending);
    }

    /// <summary>Waits until this instance appends a frame or <paramref name="timeout"/> passes (frames another instance queued are found by looking again).</summary>
    public async Task WaitForAppendAsync(TimeSpan timeout, CancellationToken cancellationToken) => await _appended.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _appended.Dispose();
}

/// <summary>The configured stations (none when the uplink is off) and the counters of all their links.</summary>
public sealed class UplinkStations : IDisposable
{
    private readonly Dictionary<string, UplinkStation> _stations = new(StringComparer.Ordinal);
    private readonly UplinkQueueStore? _store;
    private long _queued;

    public UplinkStations(IOptions<UplinkOptions> options, IOptions<SiteOptions> site, IServiceProvider services, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(loggers);
        var uplink = options.Value;
        if (!uplink.Enabled)
            return; // the database is not touched when the uplink is off
        _store = services.GetRequiredService<UplinkQueueStore>();
        var import = new UplinkQueueImport(_store, Path.Combine(site.Value.DataPath(), "sl651"), uplink.QueueMaxBytes, loggers.CreateLogger<UplinkQueueImport>());
        foreach (var station in uplink.Stations)
        {
            var header = new Sl651Header((byte)uplink.CentreAddress, Sl651StationAddress.Parse(station.Address), uplink.PasswordValue);
            var entry = new UplinkStation(station, header, _store, uplink.QueueMaxBytes);
            import.Run(entry.Key);
            _stations[station.Station] = entry;
        }
    }

    public IReadOnlyCollection<UplinkStation> All => _stations.Values;

    public Sl651Counters Counters { get; } = new();

    public UplinkStation? Find(string station) => _stations.GetValueOrDefault(station);

    /// <summary>Frames waiting for the platform over every station, from the database (the last count read while it cannot be reached).</summary>
    public long QueuedFrames()
    {
        if (_store is null)
            return 0;
        try
        {
            Interlocked.Exchange(ref _queued, _store.Count());
        }
        catch (DbException)
        {
            // The gauge keeps its last value; the sender logs the database error.
            return Interlocked.Read(ref _queued);
        }

        return Interlocked.Read(ref _queued);
    }

    public void Dispose()
    {
        foreach (var station in _stations.Values)
            station.Dispose();
    }
}
