using System.Globalization;
using Irrigation.Dlt645.Values;

namespace Irrigation.Devices.Dlt645;

/// <summary>Rules of a DL/T 645 profile: a meter, every quantity with a parsable identifier and format, blocks in bounds.</summary>
internal static class Dlt645ProfileValidator
{
    /// <summary>A read reply's L is at most 200 (§7.1.4), 4 of them the identifier: a quantity stays within one frame.</summary>
    private const int MaxValueBytes = 200 - Dlt645DataIdentifier.Length;

    public static void Validate(DeviceProfile profile)
    {
        var file = profile.Source;
        DeviceProfileValidator.Require(file, "kind", profile.Kind == DeviceKind.Meter, "DL/T 645 describes energy meters; a pump controller speaks Modbus");
        DeviceProfileValidator.Require(file, "pumps", profile.Pumps is null, "a DL/T 645 meter has no pumps");
        DeviceProfileValidator.Require(file, "quantities", profile.Quantities.Count > 0, "a profile needs at least one quantity");
        DeviceProfileValidator.Require(file, "station", profile.Station == new StationSignals(), "station signals come from the pump controller");
        ValidateQuantities(file, "quantities", profile.Quantities);
        DeviceProfileValidator.ValidateAlarms(profile);

        var names = profile.Quantities.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (optionName, option) in profile.Options)
        {
            var path = $"options.{optionName}";
            DeviceProfileValidator.Require(file, path + ".choices", option.Choices.Count > 0, "an option needs at least one choice");
            DeviceProfileValidator.Require(file, path + ".default", option.Choices.ContainsKey(option.Default), $"'{option.Default}' is not one of its choices ({string.Join(", ", option.Choices.Keys)})");
            foreach (var (choiceName, choice) in option.Choices)
            {
                foreach (var target in choice.Quantities.Keys)
                    DeviceProfileValidator.Require(file, $"{path}.choices.{choiceName}.quantities.{target}", names.Contains(target), $"'{target}' is not a quantity of this profile");
                DeviceProfileValidator.Require(file, $"{path}.choices.{choiceName}.pumpControl", choice.PumpControl is null, "the profile has no pumps");
                var resolved = profile.Resolve(new Dictionary<string, string> { [optionName] = choiceName });
                try
                {
                    ValidateQuantities(file, "quantities", resolved.Quantities);
                }
                catch (DeviceProfileException ex)
                {
                    throw new DeviceProfileException(file, $"{path}.choices.{choiceName}", $"gives {ex.Field}: {ex.Reason}", ex);
                }
            }
        }

        _ = profile.Resolve();
    }

    private static void ValidateQuantities(string file, string path, IReadOnlyList<QuantityDefinition> quantities)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var slots = new Dictionary<(uint Identifier, int Index), string>();
        var formats = new Dictionary<uint, (string Format, bool Signed)>();
        for (var i = 0; i < quantities.Count; i++)
        {
            var q = quantities[i];
            var at = $"{path}[{i}]";
            DeviceProfileValidator.Require(file, at + ".name", DeviceProfileValidator.IsIdentifier(q.Name, allowDash: false), $"'{q.Name}' must be lower-case letters, digits or '_'");
            DeviceProfileValidator.Require(file, at + ".name", seen.Add(q.Name), $"'{q.Name}' is defined twice");
            DeviceProfileValidator.Require(file, at + ".dataIdentifier", TryParseIdentifier(q.DataIdentifier, out var identifier), $"'{q.DataIdentifier}' must be eight hex digits DI3 DI2 DI1 DI0, e.g. \"02010100\"");
            Dlt645DataFormat? format = null;
            try
            {
                format = q.Format is null ? null : Dlt645DataFormat.Parse(q.Format, q.Signed);
            }
            catch (FormatException ex)
            {
                DeviceProfileValidator.Require(file, at + ".format", false, ex.Message);
            }

            if (format is null)
                throw new DeviceProfileException(file, at + ".format", "is required, as the standard prints it, e.g. \"XXX.X\"");
            DeviceProfileValidator.Require(file, at + ".index", q.Index >= 0 && (q.Index + 1) * format.ByteLength <= MaxValueBytes, $"{q.Index}: element {q.Index} of {format.ByteLength}-byte values runs past one reply's {MaxValueBytes} bytes");
            DeviceProfileValidator.Require(file, at + ".scale", double.IsFinite(q.Scale) && q.Scale != 0, $"{q.Scale} must be a finite, non-zero number");
            DeviceProfileValidator.Require(file, at + ".offset", double.IsFinite(q.Offset), "must be finite");
            DeviceProfileValidator.Require(file, at + ".deadband", q.Deadband >= 0 && double.IsFinite(q.Deadband), $"{q.Deadband} must be >= 0");
            DeviceProfileValidator.Require(file, at + ".scaleBy", q.ScaleBy.Count == 0, "DL/T 645 meters report primary-side values; scaleBy is for Modbus secondary-side maps");
            DeviceProfileValidator.Require(file, at + ".index", slots.TryAdd((identifier.Value, q.Index), q.Name), $"element {q.Index} of {identifier} is already '{slots.GetValueOrDefault((identifier.Value, q.Index))}'");
            if (formats.TryGetValue(identifier.Value, out var other))
                DeviceProfileValidator.Require(file, at + ".format", other == (q.Format!, q.Signed), $"{identifier} is read once; its elements must share one format ({(other.Signed ? "signed " : "")}{other.Format})");
            else
                formats[identifier.Value] = (q.Format!, q.Signed);
        }
    }

    internal static bool TryParseIdentifier(string? text, out Dlt645DataIdentifier identifier)
    {
        identifier = default;
        if (text is not { Length: 8 } || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            return false;
        identifier = new Dlt645DataIdentifier(value);
        return true;
    }
}
