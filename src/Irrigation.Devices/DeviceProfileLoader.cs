using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Values;

namespace Irrigation.Devices;

/// <summary>
/// Loads device profiles from JSON (schema in docs/device-profiles.md) and validates them, so a bad profile
/// fails at start-up with the file, the field and the reason — never later, on a pump.
/// </summary>
public static class DeviceProfileLoader
{
    private static readonly JsonSerializerOptions JsonOptions = CreateOptions();

    public static DeviceProfile LoadFile(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DeviceProfileException(path, "(file)", ex.Message, ex);
        }

        return Parse(json, path);
    }

    /// <summary>Every *.json in <paramref name="directory"/>, by profile id.</summary>
    public static IReadOnlyDictionary<string, DeviceProfile> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DeviceProfileException(directory, "(directory)", "profile directory does not exist");
        var profiles = new Dictionary<string, DeviceProfile>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            var profile = LoadFile(file);
            if (profiles.TryGetValue(profile.Id, out var other))
                throw new DeviceProfileException(file, "id", $"'{profile.Id}' is already defined by {other.Source}");
            profiles[profile.Id] = profile;
        }

        return profiles;
    }

    public static DeviceProfile Parse(string json, string source)
    {
        DeviceProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<DeviceProfile>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) ? "(document)" : ex.Path.TrimStart('$', '.');
            var where = ex.LineNumber is { } line ? $" (line {line + 1})" : "";
            throw new DeviceProfileException(source, field, FirstSentence(ex.Message) + where, ex);
        }

        if (profile is null)
            throw new DeviceProfileException(source, "(document)", "the file is empty or null");
        profile = profile with { Source = source };
        if (profile.Protocol == DeviceProtocol.Modbus)
            RequireAddresses(json, source);
        DeviceProfileValidator.Validate(profile);
        return profile;
    }

    /// <summary>
    /// A Modbus quantity without an address would silently read register 0; the address is optional in the type only
    /// because DL/T 645 quantities have none, so its presence is checked in the document itself.
    /// </summary>
    private static void RequireAddresses(string json, string source)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = document.RootElement;
        void Check(JsonElement list, string path)
        {
            if (list.ValueKind != JsonValueKind.Array)
                return;
            var i = 0;
            foreach (var quantity in list.EnumerateArray())
            {
                if (quantity.ValueKind == JsonValueKind.Object && !quantity.TryGetProperty("address", out _))
                    throw new DeviceProfileException(source, $"{path}[{i}].address", "is required in a Modbus profile");
                i++;
            }
        }

        if (root.TryGetProperty("quantities", out var quantities))
            Check(quantities, "quantities");
        if (root.TryGetProperty("pumps", out var pumps) && pumps.ValueKind == JsonValueKind.Object && pumps.TryGetProperty("quantities", out var pumpQuantities))
            Check(pumpQuantities, "pumps.quantities");
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.Converters.Add(new AddressConverter());
        return options;
    }

    /// <summary>Register addresses may be written as numbers (8198) or hex strings ("0x2006"), as manuals print them.</summary>
    private sealed class AddressConverter : JsonConverter<ushort>
    {
        public override ushort Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out var number))
                return number;
            if (reader.TokenType == JsonTokenType.String)
            {
                var text = reader.GetString()!;
                if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                    && ushort.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
                    return hex;
                if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var dec))
                    return dec;
            }

            throw new JsonException("expected an address 0..65535 as a number or a \"0x...\" hex string");
        }

        public override void Write(Utf8JsonWriter writer, ushort value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }
}

/// <summary>Rules a profile must keep beyond what the JSON shape says.</summary>
internal static class DeviceProfileValidator
{
    public static void Validate(DeviceProfile profile)
    {
        var file = profile.Source;
        RequireNoNulls(profile);
        Require(file, "id", IsIdentifier(profile.Id, allowDash: true), $"'{profile.Id}' must be lower-case letters, digits, '-' or '_'");
        if (profile.Protocol == DeviceProtocol.Dlt645)
        {
            Dlt645.Dlt645ProfileValidator.Validate(profile);
            return;
        }

        for (var i = 0; i < profile.Quantities.Count; i++)
            Require(file, $"quantities[{i}].dataIdentifier", profile.Quantities[i].DataIdentifier is null && profile.Quantities[i].Format is null, "dataIdentifier and format belong to DL/T 645 profiles (\"protocol\": \"Dlt645\")");
        Require(file, "defaultUnitId", profile.DefaultUnitId is >= 1 and <= 247, $"{profile.DefaultUnitId} is outside 1..247");
        var plan = profile.ReadPlan;
        Require(file, "readPlan.maxRegisters", plan.MaxRegisters is >= 1 and <= ModbusLimits.MaxReadRegisters, $"{plan.MaxRegisters} is outside 1..{ModbusLimits.MaxReadRegisters}");
        Require(file, "readPlan.maxBits", plan.MaxBits is >= 1 and <= ModbusLimits.MaxReadBits, $"{plan.MaxBits} is outside 1..{ModbusLimits.MaxReadBits}");
        Require(file, "readPlan.maxGap", plan.MaxGap >= 0 && plan.MaxGap < plan.MaxRegisters, $"{plan.MaxGap} must be 0..maxRegisters-1");
        Require(file, "quantities", profile.Quantities.Count > 0 || profile.Pumps is not null, "a profile needs at least one quantity");

        ValidateQuantities(file, "quantities", profile.Quantities, profile.ReadPlan, profile.Quantities);
        ValidateAlarms(profile);
        var names = profile.Quantities.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);

        if (profile.Kind == DeviceKind.PumpController)
            Require(file, "pumps", profile.Pumps is not null, "a pump controller profile needs a 'pumps' block");
        if (profile.Pumps is { } pumps)
        {
            Require(file, "pumps.maxPumps", pumps.MaxPumps is >= 1 and <= 16, $"{pumps.MaxPumps} is outside 1..16");
            ValidateQuantities(file, "pumps.quantities", pumps.Quantities, profile.ReadPlan, profile.Quantities.Concat(pumps.Quantities).ToList());
            var pumpNames = pumps.Quantities.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
            var clash = pumpNames.FirstOrDefault(names.Contains);
            Require(file, "pumps.quantities", clash is null, $"'{clash}' is both a station and a pump quantity");
            if (pumps.MaxPumps > 1)
            {
                var registerSpan = Span(pumps.Quantities.Where(q => !q.IsBitTable));
                var coilSpan = Span(pumps.Quantities.Where(q => q.IsBitTable));
                Require(file, "pumps.registerStride", pumps.RegisterStride >= registerSpan, $"{pumps.RegisterStride} is smaller than one pump's registers ({registerSpan}): pumps would overlap");
                Require(file, "pumps.coilStride", pumps.CoilStride >= coilSpan, $"{pumps.CoilStride} is smaller than one pump's bits ({coilSpan}): pumps would overlap");
                var lastEnd = pumps.Quantities.Select(q => q.Address + q.Width + ((pumps.MaxPumps - 1) * (q.IsBitTable ? pumps.CoilStride : pumps.RegisterStride))).DefaultIfEmpty(0).Max();
                Require(file, "pumps.maxPumps", lastEnd <= 0x10000, $"pump {pumps.MaxPumps}'s addresses would run past 65535");
            }

            Require(file, "pumps.feedback.running", pumpNames.Contains(pumps.Feedback.Running), $"'{pumps.Feedback.Running}' is not a pump quantity");
            Require(file, "pumps.feedback.fault", pumpNames.Contains(pumps.Feedback.Fault), $"'{pumps.Feedback.Fault}' is not a pump quantity");
            if (pumps.Feedback.Current is { } current)
                Require(file, "pumps.feedback.current", pumpNames.Contains(current), $"'{current}' is not a pump quantity");
            ValidateControl(file, "pumps.control", pumps.Control, pumps);
        }

        foreach (var (field, signal) in new[] { ("station.remote", profile.Station.Remote), ("station.mainsPresent", profile.Station.MainsPresent), ("station.sumpLevel", profile.Station.SumpLevel) })
        {
            if (signal is not null)
                Require(file, field, names.Contains(signal), $"'{signal}' is not a station quantity");
        }

        var allNames = names.Concat(profile.Pumps?.Quantities.Select(q => q.Name) ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var (optionName, option) in profile.Options)
        {
            var path = $"options.{optionName}";
            Require(file, path + ".choices", option.Choices.Count > 0, "an option needs at least one choice");
            Require(file, path + ".default", option.Choices.ContainsKey(option.Default), $"'{option.Default}' is not one of its choices ({string.Join(", ", option.Choices.Keys)})");
            foreach (var (choiceName, choice) in option.Choices)
            {
                foreach (var target in choice.Quantities.Keys)
                    Require(file, $"{path}.choices.{choiceName}.quantities.{target}", target == "*" || allNames.Contains(target), $"'{target}' is not a quantity of this profile");
                if (choice.PumpControl is { } control)
                {
                    Require(file, $"{path}.choices.{choiceName}.pumpControl", profile.Pumps is not null, "the profile has no pumps");
                    ValidateControl(file, $"{path}.choices.{choiceName}.pumpControl", control, profile.Pumps!);
                }

                // A station may pick any choice, so each must give a valid map, not only the defaults.
                var resolved = profile.Resolve(new Dictionary<string, string> { [optionName] = choiceName });
                try
                {
                    ValidateQuantities(file, "quantities", resolved.Quantities, profile.ReadPlan, resolved.Quantities);
                    if (resolved.Pumps is { } resolvedPumps)
                        ValidateQuantities(file, "pumps.quantities", resolvedPumps.Quantities, profile.ReadPlan, resolved.Quantities.Concat(resolvedPumps.Quantities).ToList());
                }
                catch (DeviceProfileException ex)
                {
                    throw new DeviceProfileException(file, $"{path}.choices.{choiceName}", $"gives {ex.Field}: {ex.Reason}", ex);
                }
            }
        }

        // Every combination of defaults must itself be a valid map (addresses, widths).
        _ = profile.Resolve();
    }

    private static void ValidateQuantities(string file, string path, IReadOnlyList<QuantityDefinition> quantities, ReadPlanSettings plan, IReadOnlyList<QuantityDefinition> scope)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < quantities.Count; i++)
        {
            var q = quantities[i];
            var at = $"{path}[{i}]";
            Require(file, at + ".name", IsIdentifier(q.Name, allowDash: false), $"'{q.Name}' must be lower-case letters, digits or '_'");
            Require(file, at + ".name", seen.Add(q.Name), $"'{q.Name}' is defined twice");
            Require(file, at + ".address", q.Address + q.Width <= 0x10000, $"{q.Address} + {q.Width} registers runs past 65535");
            Require(file, at + ".scale", double.IsFinite(q.Scale) && q.Scale != 0, $"{q.Scale} must be a finite, non-zero number");
            Require(file, at + ".offset", double.IsFinite(q.Offset), "must be finite");
            Require(file, at + ".deadband", q.Deadband >= 0 && double.IsFinite(q.Deadband), $"{q.Deadband} must be >= 0");
            if (q.IsBitTable)
                Require(file, at + ".type", q.Type is RegisterType.Bit or RegisterType.UInt16, $"{q.Function} quantities are single bits; type must be Bit");
            else
                Require(file, at + ".bit", q.Bit is >= 0 and <= 15 && (q.Type == RegisterType.Bit || q.Bit == 0), $"bit {q.Bit}: only Bit quantities take a bit index, 0..15");
            var limit = q.IsBitTable ? plan.MaxBits : plan.MaxRegisters;
            Require(file, at + ".type", q.Width <= limit, $"{q.Width} registers exceed readPlan's request size {limit}");
            foreach (var factor in q.ScaleBy)
            {
                var target = scope.FirstOrDefault(s => s.Name == factor);
                Require(file, at + ".scaleBy", target is not null, $"'{factor}' is not a quantity of this profile");
                Require(file, at + ".scaleBy", target!.ScaleBy.Count == 0, $"'{factor}' is itself scaled by other quantities; chains are not allowed");
            }
        }
    }

    private static void ValidateControl(string file, string path, PumpControl control, PumpBlock pumps)
    {
        var last = pumps.MaxPumps - 1;
        if (control.Mode == PumpControlMode.CoilPulse)
        {
            Require(file, path + ".stopCoil", control.StartCoil != control.StopCoil, "start and stop coils must differ");
            var highest = Math.Max(Math.Max(control.StartCoil, control.StopCoil), control.ResetCoil ?? 0) + (last * pumps.CoilStride);
            Require(file, path, highest <= 0xFFFF, $"pump {pumps.MaxPumps}'s coil {highest} is past 65535");
        }
        else
        {
            Require(file, path + ".stopValue", control.StartValue != control.StopValue, "start and stop values must differ");
            var register = control.Register + (last * pumps.RegisterStride);
            Require(file, path, register <= 0xFFFF, $"pump {pumps.MaxPumps}'s register {register} is past 65535");
        }
    }

    internal static void ValidateAlarms(DeviceProfile profile)
    {
        var file = profile.Source;
        var names = profile.Quantities.Concat(profile.Pumps?.Quantities ?? []).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, rule) in profile.Alarms)
        {
            var path = $"alarms.{id}";
            Require(file, path, IsIdentifier(id, allowDash: false), $"'{id}' is not a rule id (lower-case letters, digits, '_')");
            Require(file, path, rule is not null, "a rule must be an object, not null");
            Require(file, path + ".threshold", rule!.Threshold is null || double.IsFinite(rule.Threshold.Value), "must be a finite number");
            Require(file, path + ".clearThreshold", rule.ClearThreshold is null || double.IsFinite(rule.ClearThreshold.Value), "must be a finite number");
            Require(file, path + ".onDelaySeconds", rule.OnDelaySeconds is null || rule.OnDelaySeconds is >= 0 and <= 86_400, "must be 0..86400 seconds");
            Require(file, path + ".severity", rule.Severity is null or "critical" or "major" or "minor", $"'{rule.Severity}' must be critical, major or minor");
            Require(file, path + ".relativeTo", rule.RelativeTo is null || names.Contains(rule.RelativeTo), $"'{rule.RelativeTo}' is not a quantity of this profile");
            Require(file, path + ".threshold", rule.RelativeTo is null || rule.Threshold is > 0, "a relative threshold must be a positive multiple");
        }
    }

    /// <summary>JSON null inside a list or map is not caught by nullable annotations; name it rather than crash.</summary>
    private static void RequireNoNulls(DeviceProfile profile)
    {
        var file = profile.Source;
        for (var i = 0; i < profile.Quantities.Count; i++)
            Require(file, $"quantities[{i}]", profile.Quantities[i] is not null, "a quantity must be an object, not null");
        for (var i = 0; i < (profile.Pumps?.Quantities.Count ?? 0); i++)
            Require(file, $"pumps.quantities[{i}]", profile.Pumps!.Quantities[i] is not null, "a quantity must be an object, not null");
        foreach (var (optionName, option) in profile.Options)
        {
            Require(file, $"options.{optionName}", option is not null, "an option must be an object, not null");
            foreach (var (choiceName, choice) in option!.Choices)
            {
                Require(file, $"options.{optionName}.choices.{choiceName}", choice is not null, "a choice must be an object, not null");
                foreach (var (target, change) in choice!.Quantities)
                    Require(file, $"options.{optionName}.choices.{choiceName}.quantities.{target}", change is not null, "an override must be an object, not null");
            }
        }
    }

    private static int Span(IEnumerable<QuantityDefinition> quantities)
    {
        var list = quantities.ToList();
        return list.Count == 0 ? 0 : list.Max(q => q.Address + q.Width) - list.Min(q => q.Address);
    }

    internal static bool IsIdentifier(string? value, bool allowDash) =>
        !string.IsNullOrEmpty(value) && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' || (allowDash && c == '-'));

    internal static void Require(string file, string field, bool condition, string reason)
    {
        if (!condition)
            throw new DeviceProfileException(file, field, reason);
    }
}
