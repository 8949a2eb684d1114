using System.Globalization;
using Irrigation.Server.Configuration;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Spool;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Uplink;

/// <summary>
/// One station reported upward: its SL 651 header, its store-and-forward queue on disk (frames wait there until the
/// platform acknowledges them, across restarts and outages, in order) and its serial number (persisted beside the queue,
/// so a restart does not reuse serials still in the queue).
/// </summary>
public sealed class UplinkStation : IDisposable
{
    private readonly string _serialFile;
    private readonly Lock _sync = new();
    private ushort _serial;

    internal UplinkStation(UplinkStationOptions options, Sl651Header header, string directory, long maxBytes, ILogger logger)
    {
        Options = options;
        Header = header;
        System.IO.Directory.CreateDirectory(directory);
        _serialFile = Path.Combine(directory, "serial");
        _serial = File.Exists(_serialFile) && ushort.TryParse(File.ReadAllText(_serialFile), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (ushort)0;
        // Segments of at most a quarter of the budget: the queue needs two, and a small budget still rolls segments.
        var segment = (int)Math.Min(DurableQueueOptions.DefaultSegmentBytes, maxBytes / 4);
        Queue = DurableQueue.Open(new DurableQueueOptions { Directory = Path.Combine(directory, "queue"), MaxBytes = maxBytes, SegmentBytes = segment, DropOldestWhenFull = false, FsyncEveryAppend = true }, logger);
    }

    public UplinkStationOptions Options { get; }

    public string Id => Options.Station;

    public Sl651Header Header { get; }

    public DurableQueue Queue { get; }

    /// <summary>Reports refused because the queue reached its budget.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>The serial of the last data message, which a keep-alive repeats (§6.6.4.2).</summary>
    public ushort LastSerial
    {
        get
        {
            lock (_sync)
                return _serial;
        }
    }

    /// <summary>
    /// Gives the next serial (up serials cycle 1..65535, §6.6.2.4) to the message <paramref name="build"/> makes, frames it and
    /// appends it to the queue, all under one lock: serials reach the queue, and so the platform, in the order they are
    /// given. Returns the message, or null (counted, the serial not used) when the queue is full.
    /// </summary>
    public Sl651Message? Enqueue(Func<ushort, Sl651Message> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        lock (_sync)
        {
            var serial = _serial == ushort.MaxValue ? (ushort)1 : (ushort)(_serial + 1);
            var message = build(serial);
            var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(message, Header));
            if (!Queue.TryAppend(bytes))
            {
                Interlocked.Increment(ref _refused);
                return null;
            }

            _serial = serial;
            File.WriteAllText(_serialFile, _serial.ToString(CultureInfo.InvariantCulture));
            return message;
        }
    }

    public void Dispose() => Queue.Dispose();
}

/// <summary>The configured stations (none when the uplink is off) and the counters of all their links.</summary>
public sealed class UplinkStations : IDisposable
{
    private readonly Dictionary<string, UplinkStation> _stations = new(StringComparer.Ordinal);

    public UplinkStations(IOptions<UplinkOptions> options, IOptions<SiteOptions> site, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(loggers);
        var uplink = options.Value;
        if (!uplink.Enabled)
            return;
        var root = Path.Combine(site.Value.DataPath(), "sl651");
        foreach (var station in uplink.Stations)
        {
            var header = new Sl651Header((byte)uplink.CentreAddress, Sl651StationAddress.Parse(station.Address), uplink.PasswordValue);
            _stations[station.Station] = new UplinkStation(station, header, Path.Combine(root, station.Address.ToUpperInvariant()), uplink.QueueMaxBytes, loggers.CreateLogger("uplink." + station.Station));
        }
    }

    public IReadOnlyCollection<UplinkStation> All => _stations.Values;

    public Sl651Counters Counters { get; } = new();

    public UplinkStation? Find(string station) => _stations.GetValueOrDefault(station);

    public void Dispose()
    {
        foreach (var station in _stations.Values)
            station.Dispose();
    }
}
