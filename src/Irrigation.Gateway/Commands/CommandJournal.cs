using System.Text.Json;
using Irrigation.Contracts;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Commands;

/// <summary>
/// Remembers every command id and its result in an append-only file, so a repeated id (a retry, a broker
/// redelivery, a gateway restart) is answered with the first result and never acts twice. Also answers when a
/// pump was last started, for the minimum-time-between-starts interlock.
/// </summary>
public sealed class CommandJournal : IDisposable
{
    private static readonly JsonSerializerOptions Json = JsonWriting.Web;

    private readonly string _path;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, CommandResultMessage> _results = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Station, int Pump), long> _lastStart = new();
    private StreamWriter _writer;
    private int _linesSinceCompaction;

    public CommandJournal(string path, int capacity, ILogger logger)
    {
        _path = path;
        _capacity = capacity;
        _logger = logger;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                try
                {
                    if (JsonSerializer.Deserialize<CommandResultMessage>(line, Json) is { } result)
                        Remember(result);
                }
                catch (JsonException)
                {
                    _logger.LogWarning("Command journal {Path}: skipped a torn or corrupt line.", path);
                }
            }
        }

        var tornTail = EndsTorn(path);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        if (tornTail)
            _writer.WriteLine(); // end the torn line, so the next result starts a line of its own
    }

    /// <summary>True when the file's last line has no newline: a write cut off by a crash.</summary>
    private static bool EndsTorn(string path)
    {
        if (!File.Exists(path))
            return false;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length == 0)
            return false;
        file.Position = file.Length - 1;
        return file.ReadByte() != '\n';
    }

    public int Count
    {
        get
        {
            lock (_sync)
                return _results.Count;
        }
    }

    /// <summary>
    /// Claims an id for execution. False with the earlier result when the id is known; false with null when the
    /// same id is executing right now (its result will be published once).
    /// </summary>
    public bool TryBegin(string id, out CommandResultMessage? earlier)
    {
        lock (_sync)
        {
            if (_results.TryGetValue(id, out earlier))
                return false;
            return _inProgress.Add(id);
        }
    }

    /// <summary>
    /// Lets go of an id claimed by <see cref="TryBegin"/> without a result: the command was not finished (the gateway is
    /// stopping) and will be queued again after the restart — a plan's start or stop must not be remembered as failed.
    /// </summary>
    public void Abandon(string id)
    {
        lock (_sync)
            _inProgress.Remove(id);
    }

    /// <summary>True when the id was executed or is executing: a rejection for it must not be published over its real result.</summary>
    public bool Knows(string id)
    {
        lock (_sync)
            return _results.ContainsKey(id) || _inProgress.Contains(id);
    }

    public void Complete(CommandResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_sync)
        {
            _inProgress.Remove(result.Id);
            Remember(result);
            _writer.WriteLine(JsonSerializer.Serialize(result, Json));
            if (++_linesSinceCompaction > _capacity * 2)
                Compact();
        }
    }

    /// <summary>When the pump last started on a command of this gateway (Unix ms), if known.</summary>
    public long? LastStart(string station, int pump)
    {
        lock (_sync)
            return _lastStart.TryGetValue((station, pump), out var ts) ? ts : null;
    }

    private void Remember(CommandResultMessage result)
    {
        if (_results.TryAdd(result.Id, result))
            _order.Enqueue(result.Id);
        if (result.Action == "start" && result.Outcome == CommandOutcomes.Succeeded)
            _lastStart[(result.Station, result.Pump)] = Math.Max(result.Ts, _lastStart.GetValueOrDefault((result.Station, result.Pump)));
        while (_order.Count > _capacity)
            _results.Remove(_order.Dequeue());
    }

    /// <summary>Rewrites the file with the remembered results only, so it stays bounded.</summary>
    private void Compact()
    {
        _writer.Dispose();
        var temp = _path + ".tmp";
        File.WriteAllLines(temp, _order.Select(id => JsonSerializer.Serialize(_results[id], Json)));
        File.Move(temp, _path, overwrite: true);
        _writer = new StreamWriter(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _linesSinceCompaction = 0;
    }

    public void Dispose()
    {
        lock (_sync)
            _writer.Dispose();
    }
}
