using Irrigation.Modbus.Values;

namespace Irrigation.Devices;

/// <summary>What kind of device a profile describes.</summary>
public enum DeviceKind
{
    /// <summary>A three-phase energy meter at the station's incomer.</summary>
    Meter,

    /// <summary>The pump controller (PLC/RTU): pump run/fault feedback, start/stop, sump level, flow.</summary>
    PumpController,
}

/// <summary>The protocol a device speaks, and so how its quantities are addressed.</summary>
public enum DeviceProtocol
{
    /// <summary>Modbus (TCP, RTU over TCP, RTU through a DTU): quantities by table, address and register type.</summary>
    Modbus,

    /// <summary>DL/T 645-2007 revenue meters: quantities by data identifier and BCD format (docs/dlt645.md).</summary>
    Dlt645,
}

/// <summary>The Modbus table a quantity lives in, and so the function code that reads it.</summary>
public enum RegisterFunction
{
    /// <summary>Coils, FC01.</summary>
    Coil,

    /// <summary>Discrete inputs, FC02.</summary>
    Discrete,

    /// <summary>Holding registers, FC03.</summary>
    Holding,

    /// <summary>Input registers, FC04.</summary>
    Input,
}

/// <summary>
/// One named quantity in a register map: where it is, how its registers become a number, and in what unit.
/// Engineering value = raw × <see cref="Scale"/> × (product of <see cref="ScaleBy"/> quantities) + <see cref="Offset"/>.
/// A Modbus quantity is placed by <see cref="Function"/>, <see cref="Address"/> and <see cref="Type"/>; a DL/T 645 one
/// by <see cref="DataIdentifier"/>, <see cref="Format"/> and <see cref="Index"/>.
/// </summary>
public sealed record QuantityDefinition
{
    public required string Name { get; init; }

    /// <summary>Chinese label shown to operators, e.g. "A相电压".</summary>
    public string? Label { get; init; }

    public RegisterFunction Function { get; init; } = RegisterFunction.Holding;

    /// <summary>Modbus: 0-based PDU address (required in Modbus profiles; the loader checks it is present).</summary>
    public ushort Address { get; init; }

    public RegisterType Type { get; init; } = RegisterType.UInt16;

    public WordOrder WordOrder { get; init; } = WordOrder.ABCD;

    /// <summary>Bit index (0 = least significant) for <see cref="RegisterType.Bit"/>.</summary>
    public int Bit { get; init; }

    public double Scale { get; init; } = 1;

    public double Offset { get; init; }

    /// <summary>Names of other quantities whose values multiply this one (CT and PT ratios of secondary-side maps).</summary>
    public IReadOnlyList<string> ScaleBy { get; init; } = [];

    public string Unit { get; init; } = "";

    /// <summary>Change that counts as a change for report-on-change publishing, in <see cref="Unit"/>; 0 = any change.</summary>
    public double Deadband { get; init; }

    /// <summary>DL/T 645: the data identifier DI3 DI2 DI1 DI0 as eight hex digits, e.g. "02010100" (phase A voltage).</summary>
    public string? DataIdentifier { get; init; }

    /// <summary>DL/T 645: the value format as the standard prints it, e.g. "XXX.X" (packed BCD, lowest byte first).</summary>
    public string? Format { get; init; }

    /// <summary>DL/T 645: the top bit of the highest byte is the sign (power, current, power factor).</summary>
    public bool Signed { get; init; }

    /// <summary>DL/T 645 block identifiers (e.g. 0201FF00, the three phase voltages): this quantity's element, 0-based.</summary>
    public int Index { get; init; }

    /// <summary>Registers (or bits) this quantity spans.</summary>
    public int Width => Function is RegisterFunction.Coil or RegisterFunction.Discrete ? 1 : Type.RegisterCount();

    public bool IsBitTable => Function is RegisterFunction.Coil or RegisterFunction.Discrete;
}

/// <summary>How a pump is told to start and stop.</summary>
public enum PumpControlMode
{
    /// <summary>Write ON to a start or stop coil (FC05); the controller resets the coil itself.</summary>
    CoilPulse,

    /// <summary>Write a command value to a control-word holding register (FC06).</summary>
    ControlWord,
}

/// <summary>Pump 1's command points; pump n adds (n−1) × the stride.</summary>
public sealed record PumpControl
{
    public PumpControlMode Mode { get; init; }

    public ushort StartCoil { get; init; }

    public ushort StopCoil { get; init; }

    public ushort? ResetCoil { get; init; }

    public ushort Register { get; init; }

    public ushort StartValue { get; init; }

    public ushort StopValue { get; init; }

    public ushort? ResetValue { get; init; }
}

/// <summary>Which quantities confirm a pump's state; names refer to the pump block's quantities.</summary>
public sealed record PumpFeedback
{
    public required string Running { get; init; }

    public required string Fault { get; init; }

    /// <summary>Motor current, checked together with the run bit when confirming a start.</summary>
    public string? Current { get; init; }
}

/// <summary>The repeated per-pump part of a pump controller's map. Addresses are pump 1's.</summary>
public sealed record PumpBlock
{
    public int MaxPumps { get; init; } = 4;

    public int RegisterStride { get; init; }

    public int CoilStride { get; init; }

    public required IReadOnlyList<QuantityDefinition> Quantities { get; init; }

    public required PumpControl Control { get; init; }

    public required PumpFeedback Feedback { get; init; }
}

/// <summary>Station-wide signals of a pump controller that interlocks need; names refer to its quantities.</summary>
public sealed record StationSignals
{
    public string? Remote { get; init; }

    public string? MainsPresent { get; init; }

    public string? SumpLevel { get; init; }
}

/// <summary>How quantities are grouped into requests.</summary>
public sealed record ReadPlanSettings
{
    public const int DefaultMaxGap = 0;

    /// <summary>Unused registers allowed inside one request; some meters answer exception 02 for unmapped gaps.</summary>
    public int MaxGap { get; init; } = DefaultMaxGap;

    /// <summary>Registers per request, at most 125 (the spec's limit).</summary>
    public int MaxRegisters { get; init; } = 100;

    /// <summary>Coils or discrete inputs per request, at most 2000.</summary>
    public int MaxBits { get; init; } = 256;
}

/// <summary>A choice among register maps where sources disagree; picked per station, never guessed.</summary>
public sealed record ProfileOption
{
    public required string Description { get; init; }

    public required string Default { get; init; }

    public required IReadOnlyDictionary<string, ProfileOptionChoice> Choices { get; init; }
}

/// <summary>What picking a choice changes: fields of named quantities ("*" = all), or the pump control.</summary>
public sealed record ProfileOptionChoice
{
    public IReadOnlyDictionary<string, QuantityOverride> Quantities { get; init; } = new Dictionary<string, QuantityOverride>();

    public PumpControl? PumpControl { get; init; }
}

public sealed record QuantityOverride
{
    public RegisterFunction? Function { get; init; }

    public ushort? Address { get; init; }

    public RegisterType? Type { get; init; }

    public WordOrder? WordOrder { get; init; }

    public double? Scale { get; init; }

    public IReadOnlyList<string>? ScaleBy { get; init; }

    public string? DataIdentifier { get; init; }

    public int? Index { get; init; }
}

/// <summary>
/// A profile's defaults for one of the server's alarm rules (rule ids such as <c>over_current</c> are the server's; it
/// rejects unknown ones at start-up). Unset fields keep the rule's built-in setting.
/// </summary>
public sealed record ProfileAlarmRule
{
    public bool? Enabled { get; init; }

    /// <summary>Raise at (or beyond) this value; a multiple of <see cref="RelativeTo"/> when that is set.</summary>
    public double? Threshold { get; init; }

    /// <summary>Clear only once back past this value (hysteresis); same unit as <see cref="Threshold"/>.</summary>
    public double? ClearThreshold { get; init; }

    /// <summary>Seconds the condition must hold before the alarm is raised.</summary>
    public double? OnDelaySeconds { get; init; }

    /// <summary>critical, major or minor.</summary>
    public string? Severity { get; init; }

    /// <summary>
    /// A quantity of this profile (for pump rules, of its pump block) that the thresholds are multiples of, e.g.
    /// <c>rated_current</c>: over-current at 1.1 × each motor's own rated current instead of one figure in amps.
    /// </summary>
    public string? RelativeTo { get; init; }
}

/// <summary>A device's register map as loaded from a profile file. Use <see cref="Resolve"/> before reading.</summary>
public sealed record DeviceProfile
{
    public required string Id { get; init; }

    public required string Manufacturer { get; init; }

    public required string Model { get; init; }

    public DeviceKind Kind { get; init; }

    public DeviceProtocol Protocol { get; init; } = DeviceProtocol.Modbus;

    public string? Description { get; init; }

    public byte DefaultUnitId { get; init; } = 1;

    public ReadPlanSettings ReadPlan { get; init; } = new();

    public required IReadOnlyList<QuantityDefinition> Quantities { get; init; }

    public PumpBlock? Pumps { get; init; }

    public StationSignals Station { get; init; } = new();

    public IReadOnlyDictionary<string, ProfileOption> Options { get; init; } = new Dictionary<string, ProfileOption>();

    /// <summary>Alarm rule defaults for stations with this device, by rule id (see docs/alarms.md).</summary>
    public IReadOnlyDictionary<string, ProfileAlarmRule> Alarms { get; init; } = new Dictionary<string, ProfileAlarmRule>();

    /// <summary>The file it came from, for error messages.</summary>
    public string Source { get; init; } = "";

    /// <summary>
    /// Applies option choices (unnamed options take their default) and returns the concrete map.
    /// Throws <see cref="DeviceProfileException"/> naming the option for an unknown option or choice.
    /// </summary>
    public ResolvedProfile Resolve(IReadOnlyDictionary<string, string>? choices = null)
    {
        choices ??= new Dictionary<string, string>();
        foreach (var name in choices.Keys)
        {
            if (!Options.ContainsKey(name))
                throw new DeviceProfileException(Source, $"options.{name}", $"profile '{Id}' has no option '{name}' (it has: {string.Join(", ", Options.Keys.DefaultIfEmpty("none"))})");
        }

        var quantities = Quantities.ToList();
        var pumpQuantities = Pumps?.Quantities.ToList() ?? [];
        var control = Pumps?.Control;
        var picked = new Dictionary<string, string>();
        foreach (var (name, option) in Options)
        {
            var choiceName = choices.TryGetValue(name, out var c) ? c : option.Default;
            if (!option.Choices.TryGetValue(choiceName, out var choice))
                throw new DeviceProfileException(Source, $"options.{name}", $"'{choiceName}' is not a choice of option '{name}' (choices: {string.Join(", ", option.Choices.Keys)})");
            picked[name] = choiceName;
            quantities = quantities.Select(q => Apply(q, choice)).ToList();
            pumpQuantities = pumpQuantities.Select(q => Apply(q, choice)).ToList();
            control = choice.PumpControl ?? control;
        }

        return new ResolvedProfile(this, quantities, Pumps is null ? null : Pumps with { Quantities = pumpQuantities, Control = control! }, picked);
    }

    private static QuantityDefinition Apply(QuantityDefinition quantity, ProfileOptionChoice choice)
    {
        foreach (var key in new[] { "*", quantity.Name })
        {
            if (!choice.Quantities.TryGetValue(key, out var o))
                continue;
            // "*" changes word order and function of multi-register values only where it makes sense.
            if (key == "*" && quantity.IsBitTable)
                continue;
            quantity = quantity with
            {
                Function = o.Function ?? quantity.Function,
                Address = o.Address ?? quantity.Address,
                Type = o.Type ?? quantity.Type,
                WordOrder = o.WordOrder ?? quantity.WordOrder,
                Scale = o.Scale ?? quantity.Scale,
                ScaleBy = o.ScaleBy ?? quantity.ScaleBy,
                DataIdentifier = o.DataIdentifier ?? quantity.DataIdentifier,
                Index = o.Index ?? quantity.Index,
            };
        }

        return quantity;
    }
}

/// <summary>A profile with its options applied: the map a station actually reads.</summary>
public sealed record ResolvedProfile(DeviceProfile Profile, IReadOnlyList<QuantityDefinition> Quantities, PumpBlock? Pumps, IReadOnlyDictionary<string, string> Choices)
{
    public string Id => Profile.Id;

    public DeviceKind Kind => Profile.Kind;

    public DeviceProtocol Protocol => Profile.Protocol;

    /// <summary>Every quantity with absolute addresses: station-wide ones, then pumps 1..<paramref name="pumpCount"/>.</summary>
    public IReadOnlyList<QuantityInstance> Expand(int pumpCount)
    {
        if (pumpCount < 0 || (Pumps is null && pumpCount > 0) || (Pumps is not null && pumpCount > Pumps.MaxPumps))
            throw new ArgumentOutOfRangeException(nameof(pumpCount), pumpCount, $"Profile '{Id}' supports {Pumps?.MaxPumps ?? 0} pumps.");
        var list = Quantities.Select(q => new QuantityInstance(q, null, q)).ToList();
        for (var pump = 1; pump <= pumpCount; pump++)
        {
            foreach (var q in Pumps!.Quantities)
            {
                var stride = q.IsBitTable ? Pumps.CoilStride : Pumps.RegisterStride;
                list.Add(new QuantityInstance(q with { Address = (ushort)(q.Address + ((pump - 1) * stride)) }, pump, q));
            }
        }

        return list;
    }

    /// <summary>Pump <paramref name="pump"/>'s command points.</summary>
    public PumpControl ControlFor(int pump)
    {
        if (Pumps is null || pump < 1 || pump > Pumps.MaxPumps)
            throw new ArgumentOutOfRangeException(nameof(pump), pump, $"Profile '{Id}' has no pump {pump}.");
        var c = Pumps.Control;
        var coil = (pump - 1) * Pumps.CoilStride;
        var register = (pump - 1) * Pumps.RegisterStride;
        return c with
        {
            StartCoil = (ushort)(c.StartCoil + coil),
            StopCoil = (ushort)(c.StopCoil + coil),
            ResetCoil = c.ResetCoil is { } r ? (ushort)(r + coil) : null,
            Register = (ushort)(c.Register + register),
        };
    }
}

/// <summary>A quantity at its absolute address, for the station or one pump.</summary>
public sealed record QuantityInstance(QuantityDefinition Definition, int? Pump, QuantityDefinition Template)
{
    /// <summary>"voltage_a" for station-wide quantities, "pump2.running" for pump ones.</summary>
    public string Key => Pump is { } p ? $"pump{p}.{Definition.Name}" : Definition.Name;
}
