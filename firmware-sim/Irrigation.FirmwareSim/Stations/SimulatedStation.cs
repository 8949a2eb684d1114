using Irrigation.Devices;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Server;
using Irrigation.FirmwareSim.Dlt645;
using Irrigation.FirmwareSim.Physics;

namespace Irrigation.FirmwareSim.Stations;

/// <summary>
/// One simulated pump station: the physics model, its energy meter and pump controller as Modbus devices laid
/// out by their profiles — or the meter as a DL/T 645 meter when its profile speaks DL/T 645 — and the faults
/// injected into it. Thread-safe: the tick loop and the protocol sessions share it.
/// </summary>
public sealed class SimulatedStation
{
    private readonly Lock _sync = new();
    private readonly RegisterImage? _meter;
    private readonly RegisterImage _controller;
    private StationFaults _faults = StationFaults.None;

    public SimulatedStation(string id, StationModel model, ResolvedProfile meterProfile, ResolvedProfile controllerProfile, byte meterUnitId, byte controllerUnitId, double ctRatio = 1)
    {
        Id = id;
        Model = model;
        MeterUnitId = meterUnitId;
        ControllerUnitId = controllerUnitId;
        CtRatio = ctRatio;
        if (meterProfile.Protocol == DeviceProtocol.Dlt645)
            Dlt645Meter = new Dlt645MeterDataStore(MeterAddressOf(id));
        else
            _meter = new RegisterImage(meterProfile, 0, mirrorRegistersToInput: true);
        _controller = new RegisterImage(controllerProfile, model.Pumps.Count, mirrorRegistersToInput: false);
        ControllerProfile = controllerProfile;
        var pumps = controllerProfile.Pumps!;
        // Command coils are write-mostly points outside the read plan: map them explicitly.
        _controller.Store.AddBlock(Modbus.Server.ModbusTable.Coils, 0, Math.Max(1, pumps.CoilStride * model.Pumps.Count));
        Refresh();
    }

    public string Id { get; }

    /// <summary>The physics. Lock on <see cref="Sync"/> when touching it from outside the tick loop.</summary>
    public StationModel Model { get; }

    public Lock Sync => _sync;

    public byte MeterUnitId { get; }

    public byte ControllerUnitId { get; }

    /// <summary>Current transformer ratio the meter reports (secondary-side maps such as ADL400 divide by it).</summary>
    public double CtRatio { get; }

    public ResolvedProfile ControllerProfile { get; }

    /// <summary>The Modbus meter's registers; null when the meter speaks DL/T 645.</summary>
    public Modbus.Server.ModbusDataStore? MeterStore => _meter?.Store;

    /// <summary>The DL/T 645 meter's identifiers; null when the meter speaks Modbus.</summary>
    public Dlt645MeterDataStore? Dlt645Meter { get; }

    /// <summary>
    /// The DL/T 645 address of a station's meter: its id's digits, right-aligned in 12 ("st007" → 000000000007),
    /// as a nameplate number would be. Ids without digits get 000000000001.
    /// </summary>
    public static Dlt645Address MeterAddressOf(string stationId)
    {
        ArgumentNullException.ThrowIfNull(stationId);
        var digits = new string(stationId.Where(char.IsAsciiDigit).ToArray());
        digits = digits.Length == 0 ? "1" : digits[Math.Max(0, digits.Length - 12)..];
        return Dlt645Address.Parse(digits.PadLeft(12, '0'));
    }

    public Modbus.Server.ModbusDataStore ControllerStore => _controller.Store;

    public StationFaults Faults
    {
        get => Volatile.Read(ref _faults);
        set => Volatile.Write(ref _faults, value ?? StationFaults.None);
    }

    /// <summary>Raised when <see cref="Faults"/> asks for connections to be dropped, so servers can close them.</summary>
    public event Action<SimulatedStation>? DropRequested;

    public void SetFaults(StationFaults faults)
    {
        Faults = faults;
        if (faults.Drop)
            DropRequested?.Invoke(this);
    }

    /// <summary>Advances physics and, unless frozen, re-encodes the registers.</summary>
    public void Tick(TimeSpan dt)
    {
        lock (_sync)
        {
            Model.Step(dt);
            if (!Faults.Freeze)
                Refresh();
        }
    }

    private void Refresh()
    {
        var meter = Model.Meter;
        var swap = Faults.FlipWordOrder;
        _meter?.Refresh(q => MeterValue(meter, q.Definition.Name), q => ScaleFactor(q), swap);
        if (Dlt645Meter is not null)
            Dlt645MeterImage.Publish(meter, Dlt645Meter);
        _controller.Refresh(ControllerValue, _ => 1, swapWords: false);
    }

    private double ScaleFactor(QuantityInstance q)
    {
        var factor = 1.0;
        foreach (var name in q.Definition.ScaleBy)
            factor *= name switch { "ct_ratio" => CtRatio, _ => 1 };
        return factor;
    }

    private double MeterValue(MeterReading m, string name) => name switch
    {
        "voltage_a" => m.VoltageA,
        "voltage_b" => m.VoltageB,
        "voltage_c" => m.VoltageC,
        "voltage_ab" => m.VoltageAB,
        "voltage_bc" => m.VoltageBC,
        "voltage_ca" => m.VoltageCA,
        "current_a" => m.CurrentA,
        "current_b" => m.CurrentB,
        "current_c" => m.CurrentC,
        "active_power" => m.ActivePowerW,
        "reactive_power" => m.ReactivePowerVar,
        "power_factor" => m.PowerFactor,
        "frequency" => m.FrequencyHz,
        "forward_energy" => m.ForwardEnergyKWh,
        "pt_ratio" => 1,
        "ct_ratio" => CtRatio,
        _ => double.NaN,
    };

    private double ControllerValue(QuantityInstance q)
    {
        if (q.Pump is { } number)
        {
            var pump = Model.Pumps[number - 1];
            return q.Definition.Name switch
            {
                "running" => pump.Running ? 1 : 0,
                "fault" => pump.FaultLatched ? 1 : 0,
                "fault_overcurrent" => pump.Faults.HasFlag(PumpFault.OverCurrent) ? 1 : 0,
                "fault_phase_loss" => pump.Faults.HasFlag(PumpFault.PhaseLoss) ? 1 : 0,
                "fault_dry_run" => pump.Faults.HasFlag(PumpFault.DryRun) ? 1 : 0,
                "motor_current" => pump.CurrentA,
                "starts" => pump.Starts,
                "run_hours" => pump.RunSeconds / 3600,
                "rated_current" => pump.RatedCurrentA,
                _ => double.NaN,
            };
        }

        return q.Definition.Name switch
        {
            "mains_present" => Model.MainsPresent ? 1 : 0,
            "remote_mode" => Model.RemoteMode ? 1 : 0,
            "door_open" => Model.DoorOpen ? 1 : 0,
            "sump_level" => Model.SumpLevelM,
            "outlet_pressure" => Model.OutletPressureMPa,
            "flow_rate" => Model.FlowRateM3PerHour,
            "flow_total" => Model.FlowTotalM3,
            _ => double.NaN,
        };
    }
}
