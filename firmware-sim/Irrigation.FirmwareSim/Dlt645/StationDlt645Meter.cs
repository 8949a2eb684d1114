using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Server;
using Irrigation.FirmwareSim.Stations;

namespace Irrigation.FirmwareSim.Dlt645;

/// <summary>
/// A station's DL/T 645 meter on its line, with the station's injected faults: <c>drop</c> is silence, <c>delayMs</c>
/// a slow meter, and any Modbus <c>exception</c> fault an abnormal reply (ERR "other") — the nearest DL/T 645 has.
/// </summary>
internal sealed class StationDlt645Meter(SimulatedStation station) : IDlt645MeterHandler
{
    public async ValueTask<Dlt645Reply?> HandleAsync(Dlt645Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var meter = station.Dlt645Meter ?? throw new InvalidOperationException($"Station {station.Id} has no DL/T 645 meter.");
        var faults = station.Faults;
        if (faults.Drop)
            return null;
        if (faults.DelayMs > 0)
            await Task.Delay(faults.DelayMs, cancellationToken);
        if (faults.Exception != Modbus.Pdu.ModbusExceptionCode.None && request is ReadDataRequest read && read.Address.Addresses(meter.Address))
            return new AbnormalReply(meter.Address, Dlt645Function.ReadData, Dlt645ErrorFlags.Other);
        return await meter.HandleAsync(request, cancellationToken);
    }
}
