using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Irrigation.FirmwareSim.Physics;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Pdu;
using Xunit;
using static Irrigation.FirmwareSim.Tests.LoopbackSimulator;

namespace Irrigation.FirmwareSim.Tests;

public sealed class ControlApiTests
{
    [Fact]
    public async Task GetStations_TwoStations_ListsEachWithEndpointUnitsAndPumps()
    {
        await using var sim = await StartAsync(Options(stations: 2), controlApi: true);

        using var list = JsonDocument.Parse(await sim.Http.GetStringAsync(new Uri("/stations", UriKind.Relative), sim.Token));
        using var one = await sim.Http.GetAsync(new Uri("/stations/st002", UriKind.Relative), sim.Token);
        using var missing = await sim.Http.GetAsync(new Uri("/stations/st404", UriKind.Relative), sim.Token);

        var stations = list.RootElement.EnumerateArray().ToList();
        Assert.Equal(["st001", "st002"], stations.Select(s => s.GetProperty("id").GetString()));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(sim.Host.Endpoints[i].Endpoint!.ToString(), stations[i].GetProperty("endpoint").GetString());
            Assert.Equal(1, stations[i].GetProperty("meterUnitId").GetInt32());
            Assert.Equal(2, stations[i].GetProperty("controllerUnitId").GetInt32());
            Assert.Equal(2, stations[i].GetProperty("pumps").GetArrayLength());
            Assert.True(stations[i].GetProperty("remoteMode").GetBoolean());
        }

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("st002", (await one.Content.ReadFromJsonAsync<JsonElement>(sim.Token)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task PostFaults_ExceptionThenDelete_ModbusFailsThenRecovers()
    {
        await using var sim = await StartAsync(controlApi: true);
        var station = sim.Station();
        var client = sim.Connect(station);

        using (var set = await sim.Http.PostAsJsonAsync("/stations/st001/faults", new { exception = 4 }, sim.Token))
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(ModbusExceptionCode.ServerDeviceFailure, station.Faults.Exception);
        var failure = await Assert.ThrowsAsync<ModbusSlaveException>(() => sim.ReadMeterAsync(client, station));
        Assert.Equal(ModbusExceptionCode.ServerDeviceFailure, failure.Code);

        // Absent fields keep their value: adding a delay leaves the exception in place.
        using (var more = await sim.Http.PostAsJsonAsync("/stations/st001/faults", new { delayMs = 20, freeze = true }, sim.Token))
            Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        Assert.Equal(StationFaults.Parse("exception=4+delay=20+freeze"), station.Faults);

        using (var clear = await sim.Http.DeleteAsync(new Uri("/stations/st001/faults", UriKind.Relative), sim.Token))
            Assert.Equal(HttpStatusCode.OK, clear.StatusCode);
        Assert.Equal(StationFaults.None, station.Faults);
        Assert.InRange((await sim.ReadMeterAsync(client, station))["voltage_a"], 200, 260);
    }

    [Fact]
    public async Task PostFaults_UnknownStationOrBadValues_Returns404Or400()
    {
        await using var sim = await StartAsync(controlApi: true);

        using var unknown = await sim.Http.PostAsJsonAsync("/stations/st404/faults", new { drop = true }, sim.Token);
        using var delete = await sim.Http.DeleteAsync(new Uri("/stations/st404/faults", UriKind.Relative), sim.Token);
        using var delay = await sim.Http.PostAsJsonAsync("/stations/st001/faults", new { delayMs = 60_001 }, sim.Token);
        using var negative = await sim.Http.PostAsJsonAsync("/stations/st001/faults", new { delayMs = -1 }, sim.Token);
        using var code = await sim.Http.PostAsJsonAsync("/stations/st001/faults", new { exception = 12 }, sim.Token);
        using var malformed = await PostRawAsync(sim, "/stations/st001/faults", "{\"drop\":");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, delay.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, code.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(StationFaults.None, sim.Station().Faults);
    }

    [Fact]
    public async Task PostPhysics_LevelAndInflow_ModelAndRegistersFollow()
    {
        await using var sim = await StartAsync(controlApi: true);
        var station = sim.Station();
        var client = sim.Connect(station);

        using var response = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { level = 0.3, inflow = 0.0, door = true }, sim.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await response.Content.ReadFromJsonAsync<JsonElement>(sim.Token);
        Assert.Equal(0.3, view.GetProperty("sumpLevelM").GetDouble(), 1e-9);
        Assert.True(view.GetProperty("doorOpen").GetBoolean());
        lock (station.Sync)
            Assert.Equal(0, station.Model.InflowM3PerHour);
        var controller = await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["door_open"] == 1, "door_open 1");
        SimulatorHostTests.AssertNear(0.3, controller["sump_level"], 0.0051, "sump_level");
    }

    [Fact]
    public async Task PostPhysics_UnknownStationOrBadInput_Returns404Or400()
    {
        await using var sim = await StartAsync(controlApi: true);

        using var unknown = await sim.Http.PostAsJsonAsync("/stations/st404/physics", new { level = 1.0 }, sim.Token);
        using var tooHigh = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { level = 9.0 }, sim.Token);
        using var negative = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { inflow = -5.0 }, sim.Token);
        using var phase = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { phaseLoss = 3 }, sim.Token);
        using var wrongType = await PostRawAsync(sim, "/stations/st001/physics", "{\"level\":\"high\"}");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooHigh.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, phase.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
    }

    [Fact]
    public async Task PostPhysics_OneFieldOutOfRange_ChangesNothing()
    {
        await using var sim = await StartAsync(controlApi: true);
        var station = sim.Station();

        using var level = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { mains = false, remote = false, door = true, level = 9.0 }, sim.Token);
        using var pump = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { inflow = 0.0, overloadPump = 3, overloadFactor = 2.0 }, sim.Token);
        using var factor = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { phaseLoss = 1, overloadPump = 1, overloadFactor = 0.0 }, sim.Token);

        Assert.Equal(HttpStatusCode.BadRequest, level.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, pump.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, factor.StatusCode);
        lock (station.Sync)
        {
            var m = station.Model;
            Assert.True(m.MainsPresent);
            Assert.True(m.RemoteMode);
            Assert.False(m.DoorOpen);
            Assert.Equal(m.Spec.InflowM3PerHour, m.InflowM3PerHour);
            Assert.False(m.IsPhaseLost(1));
        }
    }

    [Fact]
    public async Task PostPumpAction_LocalStart_RefusedInRemoteModeAcceptedInLocal()
    {
        await using var sim = await StartAsync(controlApi: true);
        var station = sim.Station();

        Assert.Equal(nameof(CommandOutcome.RefusedRemoteMode), await PumpActionAsync(sim, "st001/pumps/1/local-start"));
        using (var local = await sim.Http.PostAsJsonAsync("/stations/st001/physics", new { remote = false }, sim.Token))
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(nameof(CommandOutcome.Accepted), await PumpActionAsync(sim, "st001/pumps/1/local-start"));

        lock (station.Sync)
            Assert.True(station.Model.Pumps[0].Running);
        var client = sim.Connect(station);
        await PollAsync(() => sim.ReadControllerAsync(client, station), c => c["pump1.running"] == 1 && c["remote_mode"] == 0, "pump 1 running in local mode");
        Assert.Equal(nameof(CommandOutcome.Accepted), await PumpActionAsync(sim, "st001/pumps/1/local-stop"));
        lock (station.Sync)
            Assert.False(station.Model.Pumps[0].Running);
    }

    [Fact]
    public async Task PostPumpAction_UnknownStationPumpOrAction_Returns404Or400()
    {
        await using var sim = await StartAsync(controlApi: true);

        using var station = await PostEmptyAsync(sim, "/stations/st404/pumps/1/local-start");
        using var pump = await PostEmptyAsync(sim, "/stations/st001/pumps/3/local-start");
        using var zero = await PostEmptyAsync(sim, "/stations/st001/pumps/0/local-start");
        using var action = await PostEmptyAsync(sim, "/stations/st001/pumps/1/explode");

        Assert.Equal(HttpStatusCode.NotFound, station.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, pump.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, action.StatusCode);
        lock (sim.Station().Sync)
            Assert.All(sim.Station().Model.Pumps, p => Assert.False(p.Running));
    }

    private static async Task<string?> PumpActionAsync(LoopbackSimulator sim, string path)
    {
        using var response = await PostEmptyAsync(sim, $"/stations/{path}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<string>(sim.Token);
    }

    private static Task<HttpResponseMessage> PostEmptyAsync(LoopbackSimulator sim, string path) =>
        sim.Http.PostAsync(new Uri(path, UriKind.Relative), content: null, sim.Token);

    private static async Task<HttpResponseMessage> PostRawAsync(LoopbackSimulator sim, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await sim.Http.PostAsync(new Uri(path, UriKind.Relative), content, sim.Token);
    }
}
