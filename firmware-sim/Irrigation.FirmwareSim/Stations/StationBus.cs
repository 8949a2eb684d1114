using Irrigation.Devices;
using Irrigation.FirmwareSim.Physics;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Server;
using Microsoft.Extensions.Logging;

namespace Irrigation.FirmwareSim.Stations;

/// <summary>Which device of a station a unit id reaches.</summary>
public enum StationDevice
{
    Meter,
    PumpController,
}

/// <summary>
/// The devices reachable through one Modbus link — like an RS-485 bus behind a DTU — by unit id. Answers reads
/// from the register images, turns writes to command coils or control words into pump commands, and applies
/// each station's injected communication faults.
/// </summary>
public sealed class StationBus : IModbusRequestHandler
{
    private readonly Dictionary<byte, (SimulatedStation Station, StationDevice Device)> _units = new();
    private readonly ILogger _logger;

    public StationBus(ILogger logger) => _logger = logger;

    public IEnumerable<SimulatedStation> Stations => _units.Values.Select(u => u.Station).Distinct();

    public void Attach(SimulatedStation station)
    {
        ArgumentNullException.ThrowIfNull(station);
        // A DL/T 645 meter is not on the Modbus line: it has its own (SimulatorHost serves it).
        var meterOnBus = station.MeterStore is not null;
        if ((meterOnBus && !_units.TryAdd(station.MeterUnitId, (station, StationDevice.Meter))) || !_units.TryAdd(station.ControllerUnitId, (station, StationDevice.PumpController)))
            throw new ArgumentException($"Unit id {station.MeterUnitId} or {station.ControllerUnitId} of station {station.Id} is already used on this link.", nameof(station));
    }

    public async ValueTask<ModbusResponse?> HandleAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken)
    {
        if (!_units.TryGetValue(unitId, out var target))
            return null; // no such slave on the bus: silence, as on RS-485

        var faults = target.Station.Faults;
        if (faults.Drop)
            return null;
        if (faults.DelayMs > 0)
            await Task.Delay(faults.DelayMs, cancellationToken);
        if (faults.Exception != ModbusExceptionCode.None)
            return new ExceptionResponse((byte)request.Function, faults.Exception);

        return target.Device == StationDevice.Meter
            ? HandleMeter(target.Station, request)
            : HandleController(target.Station, request);
    }

    private static ModbusResponse HandleMeter(SimulatedStation station, ModbusRequest request) => request switch
    {
        ReadRequest => station.MeterStore!.Handle(request),
        _ => new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalDataAddress), // metering registers are read-only
    };

    private ModbusResponse HandleController(SimulatedStation station, ModbusRequest request)
    {
        switch (request)
        {
            case ReadRequest:
                return station.ControllerStore.Handle(request);
            case WriteSingleCoilRequest coil:
                {
                    var command = FindCoilCommand(station, coil.Address);
                    if (command is null)
                        return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalDataAddress);
                    if (coil.Value)
                        Execute(station, command.Value.Pump, command.Value.Action, "coil");
                    return new WriteSingleResponse(coil.Function, coil.Address, coil.Value ? ModbusLimits.CoilOn : ModbusLimits.CoilOff);
                }
            case WriteSingleRegisterRequest register:
                {
                    var pump = FindControlWordPump(station, register.Address);
                    if (pump is null)
                        return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalDataAddress);
                    var action = ControlWordAction(station, register.Value);
                    if (action is null)
                        return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalDataValue);
                    Execute(station, pump.Value, action.Value, "control word");
                    return new WriteSingleResponse(register.Function, register.Address, register.Value);
                }
            default:
                // This controller takes commands one point at a time (FC05/FC06), like most small PLCs.
                return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalFunction);
        }
    }

    private enum PumpAction
    {
        Start,
        Stop,
        Reset,
    }

    private void Execute(SimulatedStation station, int pump, PumpAction action, string via)
    {
        CommandOutcome outcome;
        lock (station.Sync)
        {
            outcome = action switch
            {
                PumpAction.Start => station.Model.Start(pump),
                PumpAction.Stop => station.Model.Stop(pump),
                _ => station.Model.ResetFaults(pump),
            };
        }

        _logger.LogInformation("Station {Station} pump {Pump}: {Action} by {Via} -> {Outcome}", station.Id, pump, action, via, outcome);
    }

    private static (int Pump, PumpAction Action)? FindCoilCommand(SimulatedStation station, ushort address)
    {
        foreach (var (pump, control) in Controls(station))
        {
            if (control.Mode != PumpControlMode.CoilPulse)
                continue;
            if (address == control.StartCoil)
                return (pump, PumpAction.Start);
            if (address == control.StopCoil)
                return (pump, PumpAction.Stop);
            if (address == control.ResetCoil)
                return (pump, PumpAction.Reset);
        }

        return null;
    }

    private static int? FindControlWordPump(SimulatedStation station, ushort address)
    {
        foreach (var (pump, control) in Controls(station))
        {
            if (control.Mode == PumpControlMode.ControlWord && control.Register == address)
                return pump;
        }

        return null;
    }

    private static PumpAction? ControlWordAction(SimulatedStation station, ushort value)
    {
        foreach (var (_, control) in Controls(station))
        {
            if (control.Mode != PumpControlMode.ControlWord)
                continue;
            if (value == control.StartValue)
                return PumpAction.Start;
            if (value == control.StopValue)
                return PumpAction.Stop;
            if (value == control.ResetValue)
                return PumpAction.Reset;
        }

        return null;
    }

    /// <summary>Every way the controller accepts commands: the profile's control and every option's alternative.</summary>
    private static IEnumerable<(int Pump, PumpControl Control)> Controls(SimulatedStation station)
    {
        var profile = station.ControllerProfile;
        var variants = new List<ResolvedProfile> { profile };
        foreach (var (optionName, option) in profile.Profile.Options)
        {
            foreach (var (choiceName, choice) in option.Choices)
            {
                if (choice.PumpControl is not null)
                    variants.Add(profile.Profile.Resolve(new Dictionary<string, string>(profile.Choices) { [optionName] = choiceName }));
            }
        }

        for (var pump = 1; pump <= station.Model.Pumps.Count; pump++)
        {
            foreach (var variant in variants)
                yield return (pump, variant.ControlFor(pump));
        }
    }
}
