using Irrigation.Contracts;

namespace Irrigation.Server.Commands;

/// <summary>
/// Told of every result a gateway publishes for a plan's run (origin <c>schedule</c>) on <c>{root}/+/cmd/result</c>:
/// those are the gateway's own commands, not the server's, so they never touch the command store.
/// </summary>
public interface IScheduledResultListener
{
    void ScheduledResult(CommandResultMessage result);
}
