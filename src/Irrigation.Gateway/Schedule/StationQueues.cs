using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Polling;

namespace Irrigation.Gateway.Schedule;

/// <summary>The station workers' command queues, by station id, for the scheduler (filled by the gateway service as it creates the workers).</summary>
public sealed class StationQueues
{
    private readonly Dictionary<string, StationWorker> _workers = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    public void Add(StationWorker worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        lock (_sync)
            _workers[worker.Station.Id] = worker;
    }

    /// <summary>False when the station is not this gateway's or its queue is full.</summary>
    public bool TryEnqueue(PumpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        StationWorker? worker;
        lock (_sync)
            worker = _workers.GetValueOrDefault(command.Station);
        return worker is not null && worker.TryEnqueue(command);
    }
}
