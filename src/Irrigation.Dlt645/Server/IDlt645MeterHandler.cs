using Irrigation.Dlt645.Messages;

namespace Irrigation.Dlt645.Server;

/// <summary>Answers decoded commands for the meter(s) behind one line. Null means silence (not addressed, broadcast).</summary>
public interface IDlt645MeterHandler
{
    ValueTask<Dlt645Reply?> HandleAsync(Dlt645Request request, CancellationToken cancellationToken);
}
