using Irrigation.Devices;
using Irrigation.Devices.Dlt645;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Framing;
using Irrigation.Modbus.Client;

namespace Irrigation.Gateway.Polling;

/// <summary>One device a station polls, with its link and its address on that link.</summary>
public abstract class PolledDevice
{
    public abstract ResolvedProfile Profile { get; }

    /// <summary>"unit 1" or "meter 000012345678", for logs.</summary>
    public abstract string Address { get; }

    /// <summary>Reads every quantity; a device that does not answer throws what <see cref="IsNoAnswer"/> recognises.</summary>
    public abstract Task<IReadOnlyList<QuantityValue>> ReadAsync(CancellationToken cancellationToken);

    /// <summary>The failures that mean "this device did not answer properly" — its data is comms-lost, the worker goes on.</summary>
    public static bool IsNoAnswer(Exception exception) => exception is ModbusException or Dlt645Exception;

    /// <summary>The station's meter, by the protocol its profile speaks.</summary>
    public static PolledDevice Meter(Configuration.StationDefinition station, FieldLinks links)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(links);
        var profile = station.Meter ?? throw new ArgumentException($"Station {station.Id} has no meter.", nameof(station));
        var timeout = station.Settings.RequestTimeout;
        return profile.Protocol == DeviceProtocol.Dlt645
            ? new Dlt645Meter(new Dlt645DeviceReader(profile), links.Dlt645(station.MeterEndpoint, timeout), station.MeterAddress)
            : new ModbusDevice(new DeviceReader(profile, 0), links.Modbus(station.MeterEndpoint, timeout), station.MeterUnitId);
    }

    /// <summary>A Modbus device: its read plan on the link's client, at its unit id.</summary>
    public sealed class ModbusDevice(DeviceReader reader, IModbusMaster link, byte unitId) : PolledDevice
    {
        public DeviceReader Reader => reader;

        public IModbusMaster Link => link;

        public byte UnitId => unitId;

        public override ResolvedProfile Profile => reader.Profile;

        public override string Address => $"unit {unitId}";

        public override Task<IReadOnlyList<QuantityValue>> ReadAsync(CancellationToken cancellationToken) => reader.ReadAsync(link, unitId, cancellationToken);
    }

    /// <summary>A DL/T 645 meter: one read per data identifier, at its meter address.</summary>
    public sealed class Dlt645Meter(Dlt645DeviceReader reader, Dlt645Client link, Dlt645Address meter) : PolledDevice
    {
        public override ResolvedProfile Profile => reader.Profile;

        public override string Address => $"meter {meter}";

        public override Task<IReadOnlyList<QuantityValue>> ReadAsync(CancellationToken cancellationToken) => reader.ReadAsync(link, meter, cancellationToken);
    }
}
