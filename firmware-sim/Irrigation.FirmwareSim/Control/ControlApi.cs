using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Physics;
using Irrigation.FirmwareSim.Stations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Irrigation.FirmwareSim.Control;

/// <summary>Body of POST /stations/{id}/faults: communication faults; absent fields keep their value.</summary>
public sealed record FaultsRequest(bool? Drop, int? DelayMs, byte? Exception, bool? Freeze, bool? FlipWordOrder);

/// <summary>Body of POST /stations/{id}/physics: the field conditions; absent fields are left alone.</summary>
public sealed record PhysicsRequest(bool? Mains, bool? Remote, bool? Door, double? Level, double? Inflow, int? PhaseLoss, bool? PhaseRestore, int? OverloadPump, double? OverloadFactor);

public sealed record PumpView(int Number, bool Running, bool FaultLatched, string Faults, double CurrentA, double PowerW, double FlowM3PerHour, uint Starts);

public sealed record StationView(
    string Id, string? Endpoint, byte MeterUnitId, byte ControllerUnitId, StationFaults Faults,
    bool MainsPresent, bool RemoteMode, bool DoorOpen, double SumpLevelM, double FlowRateM3PerHour, double FlowTotalM3,
    MeterReading Meter, IReadOnlyList<PumpView> Pumps);

/// <summary>
/// The simulator's loopback HTTP control endpoint: inspect stations and inject faults at run time.
/// Bound to 127.0.0.1 only; it is a test instrument, not a production interface.
/// </summary>
public static class ControlApi
{
    public static void MapControlApi(this IEndpointRouteBuilder app, SimulatorHost host)
    {
        var stations = app.MapGroup("/stations");
        stations.MapGet("/", () => TypedResults.Ok(host.Stations.Select(s => View(host, s))));
        stations.MapGet("/{id}", Results<Ok<StationView>, NotFound<string>> (string id) =>
            host.Find(id) is { } s ? TypedResults.Ok(View(host, s)) : TypedResults.NotFound($"no station '{id}'"));

        stations.MapPost("/{id}/faults", Results<Ok<StationFaults>, NotFound<string>, BadRequest<string>> (string id, FaultsRequest body) =>
        {
            if (host.Find(id) is not { } station)
                return TypedResults.NotFound($"no station '{id}'");
            if (body.DelayMs is < 0 or > 60_000 || body.Exception is > 0x0B)
                return TypedResults.BadRequest("delayMs must be 0..60000 and exception 0..11");
            var f = station.Faults;
            var faults = f with
            {
                Drop = body.Drop ?? f.Drop,
                DelayMs = body.DelayMs ?? f.DelayMs,
                Exception = body.Exception is { } e ? (Modbus.Pdu.ModbusExceptionCode)e : f.Exception,
                Freeze = body.Freeze ?? f.Freeze,
                FlipWordOrder = body.FlipWordOrder ?? f.FlipWordOrder,
            };
            host.SetFaults(station, faults);
            return TypedResults.Ok(faults);
        });
        stations.MapDelete("/{id}/faults", Results<Ok<StationFaults>, NotFound<string>> (string id) =>
        {
            if (host.Find(id) is not { } station)
                return TypedResults.NotFound($"no station '{id}'");
            host.SetFaults(station, StationFaults.None);
            return TypedResults.Ok(StationFaults.None);
        });

        stations.MapPost("/{id}/physics", Results<Ok<StationView>, NotFound<string>, BadRequest<string>> (string id, PhysicsRequest body) =>
        {
            if (host.Find(id) is not { } station)
                return TypedResults.NotFound($"no station '{id}'");
            if (Invalid(body, station.Model) is { } error)
                return TypedResults.BadRequest(error);
            try
            {
                lock (station.Sync)
                {
                    var m = station.Model;
                    if (body.Mains is { } mains)
                        m.MainsPresent = mains;
                    if (body.Remote is { } remote)
                        m.RemoteMode = remote;
                    if (body.Door is { } door)
                        m.DoorOpen = door;
                    if (body.Level is { } level)
                        m.SetLevel(level);
                    if (body.Inflow is { } inflow)
                        m.SetInflow(inflow);
                    if (body.PhaseLoss is { } phase)
                        m.SetPhaseLoss(phase, body.PhaseRestore != true);
                    if (body.OverloadPump is { } pump)
                        m.SetOverload(pump, body.OverloadFactor ?? 1.0);
                }
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return TypedResults.BadRequest(ex.Message);
            }

            return TypedResults.Ok(View(host, station));
        });

        stations.MapPost("/{id}/pumps/{pump:int}/{action}", Results<Ok<string>, NotFound<string>, BadRequest<string>> (string id, int pump, string action) =>
        {
            if (host.Find(id) is not { } station)
                return TypedResults.NotFound($"no station '{id}'");
            if (pump < 1 || pump > station.Model.Pumps.Count)
                return TypedResults.BadRequest($"station {id} has pumps 1..{station.Model.Pumps.Count}");
            CommandOutcome outcome;
            lock (station.Sync)
            {
                outcome = action switch
                {
                    "local-start" => station.Model.LocalStart(pump),
                    "local-stop" => station.Model.LocalStop(pump),
                    "local-reset" => station.Model.LocalResetFaults(pump),
                    _ => (CommandOutcome)(-1),
                };
            }

            return (int)outcome < 0 ? TypedResults.BadRequest("action must be local-start, local-stop or local-reset") : TypedResults.Ok(outcome.ToString());
        });

        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok", stations = host.Stations.Count, ticks = host.Ticks, modbus = host.Counters.ToString() }));
    }

    /// <summary>Checks every field before any is applied, so a rejected request leaves the station as it was.</summary>
    private static string? Invalid(PhysicsRequest body, StationModel model)
    {
        // Spec and pump count never change: no lock needed.
        if (body.Level is { } level && !(level >= 0 && level <= model.Spec.MaxLevelM))
            return $"level must be in [0, {model.Spec.MaxLevelM}] m";
        if (body.Inflow is { } inflow && !(inflow >= 0 && !double.IsInfinity(inflow)))
            return "inflow must be zero or positive (m3/h)";
        if (body.PhaseLoss is < 0 or >= 3)
            return "phaseLoss must be 0 (A), 1 (B) or 2 (C)";
        if (body.OverloadPump is < 1 || body.OverloadPump > model.Pumps.Count)
            return $"overloadPump must be 1..{model.Pumps.Count}";
        if (body.OverloadPump is not null && body.OverloadFactor is { } factor && !(factor > 0 && !double.IsInfinity(factor)))
            return "overloadFactor must be positive";
        return null;
    }

    private static StationView View(SimulatorHost host, SimulatedStation s)
    {
        lock (s.Sync)
        {
            var m = s.Model;
            var endpoint = host.Endpoints.FirstOrDefault(e => e.StationId == s.Id)?.Endpoint?.ToString();
            return new StationView(
                s.Id, endpoint, s.MeterUnitId, s.ControllerUnitId, s.Faults,
                m.MainsPresent, m.RemoteMode, m.DoorOpen, m.SumpLevelM, m.FlowRateM3PerHour, m.FlowTotalM3, m.Meter,
                m.Pumps.Select(p => new PumpView(p.Number, p.Running, p.FaultLatched, p.Faults.ToString(), p.CurrentA, p.PowerW, p.FlowM3PerHour, p.Starts)).ToList());
        }
    }
}
