namespace Irrigation.Server.Commands;

/// <summary>
/// Told when a gateway refused a command the server never issued (bad signature): someone with broker access is
/// trying to start or stop pumps. The alarms raise a security alarm from it; commands do not know who listens.
/// </summary>
public interface IForgedCommandListener
{
    void Forged(string station, string gateway, long atMs);
}
