using System.Diagnostics;
using Irrigation.FirmwareSim.Physics;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Pdu;
using Xunit;
using static Irrigation.FirmwareSim.Tests.LoopbackSimulator;

namespace Irrigation.FirmwareSim.Tests;

public sealed class SimulatorFaultTests
{
    [Fact]
    public async Task ReadAsync_ExceptionFault_ThrowsServerDeviceFailureUntilCleared()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);

        sim.Host.SetFaults(station, StationFaults.Parse("exception=4"));
        var read = await Assert.ThrowsAsync<ModbusSlaveException>(() => sim.ReadMeterAsync(client, station));
        var write = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token));

        Assert.Equal(ModbusExceptionCode.ServerDeviceFailure, read.Code);
        Assert.Equal(station.MeterUnitId, read.UnitId);
        Assert.Equal(0x03, read.FunctionCode);
        Assert.Equal(ModbusExceptionCode.ServerDeviceFailure, write.Code);
        lock (station.Sync)
            Assert.False(station.Model.Pumps[0].Running);

        sim.Host.SetFaults(station, StationFaults.None);
        var meter = await sim.ReadMeterAsync(client, station);
        Assert.InRange(meter["voltage_a"], 200, 260);
    }

    [Fact]
    public async Task ReadAsync_DelayLongerThanTimeout_TimesOutButPatientClientSucceeds()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        sim.Host.SetFaults(station, StationFaults.Parse("delay=300"));

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => sim.ReadMeterAsync(sim.Connect(station, FailFast(100)), station));

        var started = Stopwatch.GetTimestamp();
        // Patient: well above the 300 ms delay even behind the fail-fast client's last delayed answer on a loaded machine
        // (1 s timed out once in a full run with browser tests beside it).
        var patient = new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(5), Retries = 0 };
        var meter = await sim.ReadMeterAsync(sim.Connect(station, patient), station);
        Assert.InRange(meter["voltage_a"], 200, 260);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(280), "each answer is delayed 300 ms");
    }

    [Fact]
    public async Task ReadAsync_DropFault_ConnectionsClosedUntilCleared()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        await sim.ReadMeterAsync(client, station);

        sim.Host.SetFaults(station, StationFaults.Parse("drop"));
        await Assert.ThrowsAsync<ModbusConnectionException>(() => sim.ReadMeterAsync(client, station));
        await Assert.ThrowsAsync<ModbusConnectionException>(() => sim.ReadMeterAsync(sim.Connect(station), station));

        sim.Host.SetFaults(station, StationFaults.None);
        var meter = await sim.ReadMeterAsync(client, station);
        Assert.InRange(meter["voltage_a"], 200, 260);
    }

    [Fact]
    public async Task ReadAsync_Freeze_RegistersStopChangingWhilePhysicsMoves()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        TimeSpan frozenAt;
        lock (station.Sync)
        {
            sim.Host.SetFaults(station, StationFaults.Parse("freeze"));
            frozenAt = station.Model.Elapsed;
        }

        var meterBefore = await sim.ReadMeterAsync(client, station);
        var controllerBefore = await sim.ReadControllerAsync(client, station);
        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token);
        await UntilAsync(
            () =>
            {
                lock (station.Sync)
                    return Task.FromResult(station.Model.Pumps[0].Running && station.Model.Elapsed - frozenAt > TimeSpan.FromSeconds(0.5));
            },
            "pump 1 running in the physics for 0.5 s");

        // The PLC hangs: the command acted on the pump, but neither the meter nor the feedback shows it.
        Assert.Equal(meterBefore, await sim.ReadMeterAsync(client, station));
        Assert.Equal(controllerBefore, await sim.ReadControllerAsync(client, station));
        Assert.Equal(0, controllerBefore["pump1.running"]);

        sim.Host.SetFaults(station, StationFaults.None);
        await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.running"] == 1, "running feedback after unfreeze");
    }

    [Fact]
    public async Task ReadAsync_FlipWordOrder_AbcdDecodesWrongCdabDecodesRight()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        sim.Host.SetFaults(station, StationFaults.Parse("flip-word-order"));
        await sim.WaitForTicksAsync(2);

        // Freeze too, under the lock, so the registers and the captured physics are the same instant.
        MeterReading expected;
        lock (station.Sync)
        {
            sim.Host.SetFaults(station, StationFaults.Parse("flip-word-order+freeze"));
            expected = station.Model.Meter;
        }

        var abcd = await sim.ReadMeterAsync(client, station);
        var cdab = await sim.ReadMeterAsync(client, station, MeterReader(new Dictionary<string, string> { ["wordOrder"] = "CDAB" }));

        double[] voltages = [expected.VoltageA, expected.VoltageB, expected.VoltageC, expected.VoltageAB, expected.VoltageBC, expected.VoltageCA];
        string[] names = ["voltage_a", "voltage_b", "voltage_c", "voltage_ab", "voltage_bc", "voltage_ca"];
        for (var i = 0; i < names.Length; i++)
        {
            SimulatorHostTests.AssertNear(voltages[i], cdab[names[i]], 1e-3, $"CDAB {names[i]}");
            Assert.False(Math.Abs(abcd[names[i]] - voltages[i]) < 1, $"ABCD {names[i]} read {abcd[names[i]]} V, physics {voltages[i]} V");
        }

        // Word-swapped floats land far from mains voltage: with six of them, some is always implausible.
        Assert.Contains(names, n => abcd[n] is not (>= 150 and <= 450));
    }

    [Fact]
    public async Task StartAsync_FaultsInOptions_AppliedFromTheStart()
    {
        var options = Options(stations: 2);
        options.Faults["st002"] = StationFaults.Parse("exception=6");
        await using var sim = await StartAsync(options);

        await sim.ReadMeterAsync(sim.Connect(sim.Station(0)), sim.Station(0));
        var busy = await Assert.ThrowsAsync<ModbusSlaveException>(() => sim.ReadMeterAsync(sim.Connect(sim.Station(1)), sim.Station(1)));
        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, busy.Code);
    }

    [Fact]
    public async Task StartAsync_FaultsForUnknownStation_ThrowsArgumentException()
    {
        var options = Options(stations: 2);
        options.Faults["st009"] = StationFaults.Parse("drop");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(options));
        Assert.Contains("st009", error.Message, StringComparison.Ordinal);
    }
}
