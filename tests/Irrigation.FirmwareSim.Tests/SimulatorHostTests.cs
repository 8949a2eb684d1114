using System.Net.Http.Json;
using Irrigation.Devices;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Physics;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Pdu;
using Xunit;
using static Irrigation.FirmwareSim.Tests.LoopbackSimulator;

namespace Irrigation.FirmwareSim.Tests;

public sealed class SimulatorHostTests
{
    [Fact]
    public async Task ReadAsync_FrozenStation_DecodesExactlyThePhysicsAtFreezeTime()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        lock (station.Sync)
            station.Model.Start(1);
        await sim.WaitForTicksAsync(4);

        // Freezing under the lock: the registers hold the last refresh, made from exactly this model state.
        Dictionary<string, double> meter, controller;
        TimeSpan frozenAt;
        lock (station.Sync)
        {
            sim.Host.SetFaults(station, station.Faults with { Freeze = true });
            meter = ExpectedMeter(station.Model.Meter);
            controller = ExpectedController(station.Model);
            frozenAt = station.Model.Elapsed;
        }

        await sim.WaitForTicksAsync(3);
        var client = sim.Connect(station);
        var readMeter = await sim.ReadMeterAsync(client, station);
        var readController = await sim.ReadControllerAsync(client, station);
        var readAsInputs = await sim.ReadMeterAsync(client, station, MeterReader(new Dictionary<string, string> { ["readFunction"] = "input" }));

        Assert.Equal(readMeter, readAsInputs); // the meter serves its map to FC03 and FC04 alike
        lock (station.Sync)
            Assert.True(station.Model.Elapsed > frozenAt, "physics kept moving while frozen");
        Assert.Equal(meter.Keys.Order(), readMeter.Keys.Order());
        foreach (var (name, expected) in meter)
            AssertNear(expected, readMeter[name], Math.Max(1e-9, Math.Abs(expected) * 1e-6), name); // float32 on the wire
        Assert.Equal(controller.Keys.Order(), readController.Keys.Order());
        foreach (var (name, expected) in controller)
            AssertNear(expected, readController[name], ControllerResolution(name) / 2 + 1e-9, name);
        Assert.Equal(1, readController["pump1.running"]);
        Assert.True(readMeter["current_a"] > 5, $"pump 1 draws current, meter says {readMeter["current_a"]} A");
    }

    [Fact]
    public async Task WriteSingleCoil_StartThenStop_PumpRunsMeterFollowsThenStops()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        var idle = await sim.ReadMeterAsync(client, station);
        var ratedInputW = station.Model.Pumps[0].Spec.RatedInputW;

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token);

        var running = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.running"] == 1 && c["pump1.motor_current"] > 1, "pump 1 running with current");
        Assert.Equal(0, running["pump1.fault"]);
        Assert.Equal(1, running["pump1.starts"]);
        Assert.Equal(0, running["pump2.running"]);
        var loaded = await PollAsync(() => sim.ReadMeterAsync(client, station), m => m["active_power"] > idle["active_power"] + (0.8 * ratedInputW), $"active power above {0.8 * ratedInputW:0} W");
        Assert.True(loaded["current_a"] > idle["current_a"] + 5, $"phase A current {idle["current_a"]} -> {loaded["current_a"]} A");
        await PollAsync(() => sim.ReadMeterAsync(client, station), m => m["forward_energy"] > loaded["forward_energy"], $"forward energy above {loaded["forward_energy"]} kWh");

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StopCoil(1), true, sim.Token);

        var stopped = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.running"] == 0, "pump 1 stopped");
        Assert.Equal(0, stopped["pump1.fault"]);
        lock (station.Sync)
            Assert.False(station.Model.Pumps[0].Running);
    }

    [Fact]
    public async Task WriteSingleRegister_ControlWordStartThenStop_PumpTwoFollows()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);

        await client.WriteSingleRegisterAsync(station.ControllerUnitId, PumpController.ControlWord(2), PumpController.StartWord, sim.Token);
        var running = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump2.running"] == 1, "pump 2 running");
        Assert.Equal(0, running["pump1.running"]);

        await client.WriteSingleRegisterAsync(station.ControllerUnitId, PumpController.ControlWord(2), PumpController.StopWord, sim.Token);
        await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump2.running"] == 0, "pump 2 stopped");
    }

    [Fact]
    public async Task Write_UnmappedPointOrUnsupportedFunction_AnswersModbusException()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        var unit = station.ControllerUnitId;

        var spareCoil = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleCoilAsync(unit, 3, true, sim.Token));
        var pastLastPump = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleCoilAsync(unit, PumpController.StartCoil(3), true, sim.Token));
        var statusWord = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleRegisterAsync(unit, 10, 1, sim.Token));
        var badWord = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleRegisterAsync(unit, PumpController.ControlWord(1), 3, sim.Token));
        var multiple = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteMultipleRegistersAsync(unit, PumpController.ControlWord(1), [PumpController.StartWord], sim.Token));
        var meter = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleRegisterAsync(station.MeterUnitId, 0x2000, 1, sim.Token));

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, spareCoil.Code);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, pastLastPump.Code);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, statusWord.Code);
        Assert.Equal(ModbusExceptionCode.IllegalDataValue, badWord.Code);
        Assert.Equal(ModbusExceptionCode.IllegalFunction, multiple.Code);
        Assert.Equal(0x10, multiple.FunctionCode);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, meter.Code);
        lock (station.Sync)
            Assert.All(station.Model.Pumps, p => Assert.False(p.Running));
    }

    [Fact]
    public async Task WriteSingleCoil_LocalMode_AcknowledgedButPumpStaysStopped()
    {
        await using var sim = await StartAsync();
        var station = sim.Station();
        var client = sim.Connect(station);
        lock (station.Sync)
            station.Model.RemoteMode = false;
        await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["remote_mode"] == 0, "remote_mode 0");

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token);
        await sim.WaitForTicksAsync(4);

        var after = await sim.ReadControllerAsync(client, station);
        Assert.Equal(0, after["pump1.running"]);
        Assert.Equal(0, after["pump1.starts"]);
        lock (station.Sync)
            Assert.False(station.Model.Pumps[0].Running);
    }

    [Fact]
    public async Task WriteSingleCoil_SumpBelowDryRunLevel_TripsAndStaysLatchedUntilReset()
    {
        await using var sim = await StartAsync(controlApi: true);
        var station = sim.Station();
        var client = sim.Connect(station);
        using (var physics = await sim.Http.PostAsJsonAsync($"/stations/{station.Id}/physics", new { level = 0.3, inflow = 0.0 }, sim.Token))
            Assert.True(physics.IsSuccessStatusCode, $"POST physics: {physics.StatusCode}");

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token);

        // The relay waits 3 s of simulated time (= wall time here) below 0.5 m before it trips.
        var tripped = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.fault"] == 1, "dry-run trip");
        Assert.Equal(0, tripped["pump1.running"]);
        Assert.Equal(1, tripped["pump1.fault_dry_run"]);
        Assert.Equal(0, tripped["pump1.fault_overcurrent"]);
        Assert.True(tripped["sump_level"] < 0.5, $"sump {tripped["sump_level"]} m");

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.StartCoil(1), true, sim.Token);
        await sim.WaitForTicksAsync(4);
        var refused = await sim.ReadControllerAsync(client, station);
        Assert.Equal(0, refused["pump1.running"]);
        Assert.Equal(tripped["pump1.starts"], refused["pump1.starts"]);

        await client.WriteSingleCoilAsync(station.ControllerUnitId, PumpController.ResetCoil(1), true, sim.Token);
        var reset = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.fault"] == 0, "fault cleared by reset");
        Assert.Equal(0, reset["pump1.fault_dry_run"]);
        Assert.Equal(0, reset["pump1.running"]);
    }

    [Fact]
    public async Task ReadAsync_RtuFraming_RtuOverTcpClientReadsMeter()
    {
        var options = Options();
        options.Framing = "rtu";
        await using var sim = await StartAsync(options);
        var station = sim.Station();

        var meter = await sim.ReadMeterAsync(sim.Connect(station, framing: "rtu"), station);

        double voltage;
        lock (station.Sync)
            voltage = station.Model.Meter.VoltageA;
        AssertNear(voltage, meter["voltage_a"], 1, "voltage_a");
        AssertNear(50, meter["frequency"], 0.1, "frequency");
    }

    [Fact]
    public async Task ReadAsync_SharedPort_StationKAnswersAsUnits2kPlus1And2kPlus2()
    {
        var options = Options(stations: 3);
        options.PortMode = PortMode.Shared;
        await using var sim = await StartAsync(options);
        Assert.Single(sim.Host.Endpoints.Select(e => e.Endpoint).Distinct());
        var client = sim.Connect(sim.Station(0));

        for (var k = 0; k < 3; k++)
        {
            var station = sim.Station(k);
            Assert.Equal((byte)((2 * k) + 1), station.MeterUnitId);
            Assert.Equal((byte)((2 * k) + 2), station.ControllerUnitId);
            var meter = await sim.ReadMeterAsync(client, station);
            var controller = await sim.ReadControllerAsync(client, station);

            // Energy and flow totals start from a different seeded value per station: they tell the stations apart.
            lock (station.Sync)
            {
                AssertNear(station.Model.Meter.ForwardEnergyKWh, meter["forward_energy"], 0.02, $"{station.Id} forward_energy");
                AssertNear(station.Model.FlowTotalM3, controller["flow_total"], 0.06, $"{station.Id} flow_total");
            }
        }

        Assert.Equal(3, sim.Host.Stations.Select(s => Math.Round(s.Model.Spec.EnergyInitialKWh)).Distinct().Count());
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => sim.Connect(sim.Station(0), FailFast(200)).ReadHoldingRegistersAsync(99, 0x2000, 2, sim.Token));
    }

    [Fact]
    public async Task StartAsync_SameSeedMixedPumps_SameStationShapes()
    {
        static SimulatorOptions Mixed(int seed)
        {
            var options = Options(stations: 8, pumps: 0);
            options.Seed = seed;
            return options;
        }

        static string Shapes(SimulatorHost host) => string.Join("; ", host.Stations.Select(s =>
            $"{s.Id}: {s.Model.Pumps.Count} x {s.Model.Spec.Pumps[0].RatedKw} kW, inflow {s.Model.Spec.InflowM3PerHour:0.###}, energy {s.Model.Spec.EnergyInitialKWh}"));

        await using var first = await StartAsync(Mixed(42));
        await using var second = await StartAsync(Mixed(42));
        await using var other = await StartAsync(Mixed(43));

        Assert.Equal(Shapes(first.Host), Shapes(second.Host));
        Assert.NotEqual(Shapes(first.Host), Shapes(other.Host));
        Assert.All(first.Host.Stations, s => Assert.InRange(s.Model.Pumps.Count, 1, 4));
        Assert.All(first.Host.Stations, s => Assert.Single(s.Model.Spec.Pumps.Select(p => p.RatedKw).Distinct()));
    }

    internal static void AssertNear(double expected, double actual, double tolerance, string name) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{name}: expected {expected} ± {tolerance}, read {actual}");

    /// <summary>
    /// The other shipped meter maps served by the simulator (--meter-profile) decode, through the same profiles a
    /// gateway uses, to the meter physics: addresses, types, word order and the ADL400's CT ratio are right.
    /// </summary>
    [Theory]
    [InlineData("eastron-sdm630")]
    [InlineData("acrel-adl400")]
    public async Task ReadAsync_OtherMeterProfiles_DecodeToThePhysics(string profileId)
    {
        var options = Options();
        options.MeterProfile = profileId;
        await using var sim = await StartAsync(options);
        var station = sim.Station();
        lock (station.Sync)
            station.Model.Start(1);
        await sim.WaitForTicksAsync(4);
        Dictionary<string, double> expected;
        lock (station.Sync)
        {
            sim.Host.SetFaults(station, station.Faults with { Freeze = true });
            expected = ExpectedMeter(station.Model.Meter);
        }

        await sim.WaitForTicksAsync(3);
        var resolved = Profiles[profileId].Resolve();
        var read = await sim.ReadAsync(new DeviceReader(resolved, 0), sim.Connect(station), station.MeterUnitId);
        var definitions = resolved.Quantities.ToDictionary(q => q.Name, StringComparer.Ordinal);

        Assert.Contains("voltage_a", read.Keys);
        Assert.Contains("forward_energy", read.Keys);
        foreach (var (name, value) in read)
        {
            if (name is "pt_ratio" or "ct_ratio")
            {
                Assert.Equal(name == "ct_ratio" ? station.CtRatio : 1, value);
                continue;
            }

            var want = expected[name];
            // One count of the register: its scale times the ratios it is multiplied by (20 W a count for the ADL400's
            // power behind a 20:1 CT); floats are far finer.
            var q = definitions[name];
            var resolution = q.Scale * q.ScaleBy.Aggregate(1.0, (f, by) => f * (by == "ct_ratio" ? station.CtRatio : 1));
            AssertNear(want, value, (Math.Abs(want) * 1e-4) + resolution, $"{profileId} {name}");
        }

        Assert.True(read["current_a"] > 5, $"pump 1 draws current, {profileId} says {read["current_a"]} A");
    }

    private static Dictionary<string, double> ExpectedMeter(MeterReading m) => new(StringComparer.Ordinal)
    {
        ["voltage_ab"] = m.VoltageAB,
        ["voltage_bc"] = m.VoltageBC,
        ["voltage_ca"] = m.VoltageCA,
        ["voltage_a"] = m.VoltageA,
        ["voltage_b"] = m.VoltageB,
        ["voltage_c"] = m.VoltageC,
        ["current_a"] = m.CurrentA,
        ["current_b"] = m.CurrentB,
        ["current_c"] = m.CurrentC,
        ["active_power"] = m.ActivePowerW,
        ["power_factor"] = m.PowerFactor,
        ["frequency"] = m.FrequencyHz,
        ["forward_energy"] = m.ForwardEnergyKWh,
    };

    private static Dictionary<string, double> ExpectedController(StationModel model)
    {
        var expected = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["mains_present"] = model.MainsPresent ? 1 : 0,
            ["remote_mode"] = model.RemoteMode ? 1 : 0,
            ["door_open"] = model.DoorOpen ? 1 : 0,
            ["sump_level"] = model.SumpLevelM,
            ["outlet_pressure"] = model.OutletPressureMPa,
            ["flow_rate"] = model.FlowRateM3PerHour,
            ["flow_total"] = model.FlowTotalM3,
        };
        foreach (var pump in model.Pumps)
        {
            var p = $"pump{pump.Number}.";
            expected[p + "running"] = pump.Running ? 1 : 0;
            expected[p + "fault"] = pump.FaultLatched ? 1 : 0;
            expected[p + "fault_overcurrent"] = pump.Faults.HasFlag(PumpFault.OverCurrent) ? 1 : 0;
            expected[p + "fault_phase_loss"] = pump.Faults.HasFlag(PumpFault.PhaseLoss) ? 1 : 0;
            expected[p + "fault_dry_run"] = pump.Faults.HasFlag(PumpFault.DryRun) ? 1 : 0;
            expected[p + "motor_current"] = pump.CurrentA;
            expected[p + "starts"] = pump.Starts;
            expected[p + "run_hours"] = pump.RunSeconds / 3600;
            expected[p + "rated_current"] = pump.RatedCurrentA;
        }

        return expected;
    }

    /// <summary>One count of the controller's integer registers (their profile scale); float and bit points are exact.</summary>
    private static double ControllerResolution(string key) => key.Split('.')[^1] switch
    {
        "sump_level" => 0.01,
        "outlet_pressure" => 0.001,
        "flow_total" => 0.1,
        "motor_current" or "rated_current" => 0.1,
        "run_hours" => 0.01,
        "flow_rate" => 0.001, // float32 of a few hundred m3/h
        _ => 0,
    };
}
