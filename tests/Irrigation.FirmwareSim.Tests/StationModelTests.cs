using Irrigation.FirmwareSim.Physics;
using Xunit;

namespace Irrigation.FirmwareSim.Tests;

public sealed class StationModelTests
{
    // Default pump: 15 kW, eff 0.9, pf 0.85 at 230 V phase.
    private const double PumpInputW = 15_000 / 0.9;
    private const double PumpCurrentA = PumpInputW / (3 * 230 * 0.85);
    private const double BaseCurrentA = 150.0 / 3 / (230 * 0.95);

    private static StationModel NewStation(int pumps = 1, int seed = 1, Func<StationSpec, StationSpec>? configure = null)
    {
        var spec = new StationSpec(Enumerable.Range(0, pumps).Select(_ => new PumpSpec()).ToArray(), seed);
        return new StationModel(configure is null ? spec : configure(spec));
    }

    private static void Run(StationModel station, double seconds, double stepSeconds = 0.1)
    {
        var steps = (int)Math.Round(seconds / stepSeconds);
        for (var i = 0; i < steps; i++)
            station.Step(TimeSpan.FromSeconds(stepSeconds));
    }

    private static void AssertWithin(double expected, double actual, double relative) =>
        Assert.InRange(actual, expected * (1 - relative), expected * (1 + relative));

    [Fact]
    public void Start_RemoteModeWithMains_CurrentShowsInrushThenSettlesNearSteady()
    {
        var station = NewStation();

        Assert.Equal(CommandOutcome.Accepted, station.Start(1));
        station.Step(TimeSpan.FromSeconds(0.1));
        Assert.True(station.Meter.CurrentA > 3 * PumpCurrentA, $"inrush {station.Meter.CurrentA} A");
        Assert.True(station.Pumps[0].CurrentA > 3 * PumpCurrentA);

        Run(station, 5);
        var meter = station.Meter;
        AssertWithin(PumpCurrentA, station.Pumps[0].CurrentA, 0.10);
        AssertWithin(PumpCurrentA + BaseCurrentA, meter.CurrentA, 0.10);
        AssertWithin(PumpCurrentA + BaseCurrentA, meter.CurrentB, 0.10);
        AssertWithin(PumpCurrentA + BaseCurrentA, meter.CurrentC, 0.10);
        Assert.True(station.Pumps[0].Running);
        Assert.Equal(1u, station.Pumps[0].Starts);
    }

    [Fact]
    public void Start_TwoPumps_ActivePowerRisesToSumOfInputs()
    {
        var station = NewStation(pumps: 2);
        var idle = station.Meter.ActivePowerW;

        station.Start(1);
        station.Start(2);
        Run(station, 5);

        AssertWithin(150, idle, 0.01);
        var meter = station.Meter;
        AssertWithin(2 * PumpInputW + 150, meter.ActivePowerW, 0.05);
        Assert.Equal(meter.ActivePowerW, meter.PowerA + meter.PowerB + meter.PowerC, 6);
        Assert.InRange(meter.PowerFactor, 0.80, 0.90);
        var apparent = meter.ActivePowerW / meter.PowerFactor;
        Assert.Equal(Math.Sqrt(apparent * apparent - meter.ActivePowerW * meter.ActivePowerW), meter.ReactivePowerVar, 3);
    }

    [Fact]
    public void Step_PumpRunningTenMinutes_EnergyGrowsByPowerTimesTime()
    {
        var station = NewStation(configure: s => s with { EnergyInitialKWh = 1000 });
        Assert.Equal(1000, station.Meter.ForwardEnergyKWh);

        station.Start(1);
        Run(station, 600, stepSeconds: 1);

        var expectedKWh = (PumpInputW + 150) * 600 / 3.6e6;
        AssertWithin(expectedKWh, station.Meter.ForwardEnergyKWh - 1000, 0.03);
        Assert.Equal(TimeSpan.FromSeconds(600), station.Elapsed);
        Assert.Equal(600, station.Pumps[0].RunSeconds, 6);
    }

    [Fact]
    public void Stop_RunningPump_CurrentFallsToBaseLoad()
    {
        var station = NewStation();
        station.Start(1);
        Run(station, 5);

        Assert.Equal(CommandOutcome.Accepted, station.Stop(1));
        station.Step(TimeSpan.FromSeconds(0.1));

        var meter = station.Meter;
        Assert.False(station.Pumps[0].Running);
        Assert.Equal(0, station.Pumps[0].CurrentA);
        Assert.Equal(0, station.Pumps[0].PowerW);
        AssertWithin(BaseCurrentA, meter.CurrentA, 0.05);
        AssertWithin(BaseCurrentA, meter.CurrentC, 0.05);
        AssertWithin(150, meter.ActivePowerW, 0.01);
        Assert.Equal(CommandOutcome.AlreadyInState, station.Stop(1));
    }

    [Fact]
    public void Step_RunningBelowDryRunLevel_TripsDryRunAndLatchesUntilReset()
    {
        var station = NewStation();
        station.Start(1);
        Run(station, 5);
        station.SetInflow(0);
        station.SetLevel(0.4);

        Run(station, 2.5);
        Assert.True(station.Pumps[0].Running);
        Run(station, 1);

        var pump = station.Pumps[0];
        Assert.False(pump.Running);
        Assert.Equal(PumpFault.DryRun, pump.Faults);
        Assert.True(pump.FaultLatched);
        Run(station, 10);
        Assert.Equal(PumpFault.DryRun, pump.Faults);
        Assert.Equal(CommandOutcome.RefusedFaultLatched, station.Start(1));

        Assert.Equal(CommandOutcome.Accepted, station.ResetFaults(1));
        Assert.Equal(PumpFault.None, pump.Faults);
        Assert.Equal(CommandOutcome.AlreadyInState, station.ResetFaults(1));
        Assert.Equal(CommandOutcome.Accepted, station.Start(1));
        Assert.Equal(2u, pump.Starts);
    }

    [Fact]
    public void SetOverload_FactorAboveTripFactor_TripsOverCurrentAfterDelay()
    {
        var station = NewStation();
        station.Start(1);
        Run(station, 5);

        station.SetOverload(1, 1.5);
        Run(station, 1);
        var pump = station.Pumps[0];
        Assert.True(pump.Running);
        AssertWithin(1.5 * PumpCurrentA, pump.CurrentA, 0.05);
        Assert.Equal(1.5, pump.OverloadFactor);

        Run(station, 1.5);
        Assert.False(pump.Running);
        Assert.Equal(PumpFault.OverCurrent, pump.Faults);
        Assert.Equal(CommandOutcome.RefusedFaultLatched, station.Start(1));
    }

    [Fact]
    public void SetOverload_BeforeStart_DoesNotTripDuringInrush()
    {
        var station = NewStation();
        station.SetOverload(1, 1.5);
        station.Start(1);

        Run(station, 4.5);
        Assert.True(station.Pumps[0].Running);
        Run(station, 1);
        Assert.Equal(PumpFault.OverCurrent, station.Pumps[0].Faults);
    }

    [Fact]
    public void SetOverload_FactorBelowTripFactor_PumpKeepsRunning()
    {
        var station = NewStation();
        station.Start(1);
        station.SetOverload(1, 1.1);

        Run(station, 120, stepSeconds: 0.5);

        Assert.True(station.Pumps[0].Running);
        Assert.Equal(PumpFault.None, station.Pumps[0].Faults);
    }

    [Fact]
    public void SetPhaseLoss_RunningPump_OtherPhasesCarryMotorThenTripsPhaseLoss()
    {
        var station = NewStation();
        station.Start(1);
        Run(station, 5);

        station.SetPhaseLoss(1, lost: true);
        station.Step(TimeSpan.FromSeconds(0.1));
        var meter = station.Meter;
        Assert.True(station.IsPhaseLost(1));
        Assert.Equal(0, meter.VoltageB);
        Assert.Equal(0, meter.CurrentB);
        Assert.Equal(0, meter.PowerB);
        Assert.True(meter.CurrentA > 1.5 * PumpCurrentA, $"single-phasing current {meter.CurrentA} A");
        Assert.True(meter.CurrentC > 1.5 * PumpCurrentA);
        Assert.True(station.Pumps[0].Running);

        Run(station, 0.5);
        Assert.False(station.Pumps[0].Running);
        Assert.Equal(PumpFault.PhaseLoss, station.Pumps[0].Faults);

        station.SetPhaseLoss(1, lost: false);
        Assert.Equal(CommandOutcome.Accepted, station.ResetFaults(1));
        Assert.Equal(CommandOutcome.Accepted, station.Start(1));
    }

    [Fact]
    public void Start_LocalMode_RemoteRefusedButLocalStartWorks()
    {
        var station = NewStation();
        station.RemoteMode = false;

        Assert.Equal(CommandOutcome.RefusedLocalMode, station.Start(1));
        Assert.False(station.Pumps[0].Running);
        Assert.Equal(CommandOutcome.Accepted, station.LocalStart(1));
        Assert.True(station.Pumps[0].Running);
        Assert.Equal(CommandOutcome.RefusedLocalMode, station.Stop(1));
        Assert.True(station.Pumps[0].Running);
        Assert.Equal(CommandOutcome.Accepted, station.LocalStop(1));
        Assert.False(station.Pumps[0].Running);
    }

    [Fact]
    public void LocalStart_RemoteMode_RefusedRemoteMode()
    {
        var station = NewStation();

        Assert.Equal(CommandOutcome.RefusedRemoteMode, station.LocalStart(1));
        Assert.False(station.Pumps[0].Running);
    }

    [Fact]
    public void MainsPresent_SetFalse_ZeroesVoltagesStopsPumpsAndRefusesStart()
    {
        var station = NewStation(pumps: 2);
        station.Start(1);
        station.Start(2);
        Run(station, 5);

        station.MainsPresent = false;
        station.Step(TimeSpan.FromSeconds(1));
        var meter = station.Meter;

        Assert.Equal([0.0, 0, 0, 0, 0, 0], [meter.VoltageA, meter.VoltageB, meter.VoltageC, meter.VoltageAB, meter.VoltageBC, meter.VoltageCA]);
        Assert.Equal([0.0, 0, 0, 0], [meter.CurrentA, meter.CurrentB, meter.CurrentC, meter.ActivePowerW]);
        Assert.Equal(0, meter.FrequencyHz);
        Assert.Equal(1.0, meter.PowerFactor);
        Assert.All(station.Pumps, p => Assert.False(p.Running));
        Assert.All(station.Pumps, p => Assert.False(p.FaultLatched));
        Assert.Equal(CommandOutcome.RefusedNoMains, station.Start(1));

        station.MainsPresent = true;
        Assert.False(station.Pumps[0].Running);
        Assert.Equal(CommandOutcome.Accepted, station.Start(1));
    }

    [Fact]
    public void Meter_IdleStation_NominalVoltagesWithinOnePercent()
    {
        var station = NewStation();

        for (var i = 0; i < 600; i++)
        {
            station.Step(TimeSpan.FromSeconds(1));
            var meter = station.Meter;
            Assert.InRange(meter.VoltageA, 230 * 0.985, 230 * 1.015);
            Assert.InRange(meter.VoltageB, 230 * 0.985, 230 * 1.015);
            Assert.InRange(meter.VoltageCA, 398.4 * 0.985, 398.4 * 1.015);
            Assert.InRange(meter.FrequencyHz, 49.9, 50.1);
        }
    }

    [Fact]
    public void Step_PumpingMoreThanInflow_SumpLevelFallsAtNetRate()
    {
        var station = NewStation();
        station.Start(1);

        Run(station, 600, stepSeconds: 1);

        var expectedDrop = (400.0 - 300) / 3600 / 60 * 600;
        AssertWithin(2.5 - expectedDrop, station.SumpLevelM, 0.02);
        AssertWithin(400, station.FlowRateM3PerHour, 0.03);
        AssertWithin(400.0 * 600 / 3600, station.FlowTotalM3, 0.03);
    }

    [Fact]
    public void Step_NoPumpRunning_SumpFillsAndClampsAtMaxLevel()
    {
        var station = NewStation();

        Run(station, 3600, stepSeconds: 1);

        Assert.Equal(4.0, station.SumpLevelM);
        Assert.Equal(0, station.FlowRateM3PerHour);
        Assert.Equal(0, station.FlowTotalM3);
    }

    [Fact]
    public void OutletPressureMPa_MorePumpsRunning_RisesFromIdle()
    {
        var station = NewStation(pumps: 2);
        var idle = station.OutletPressureMPa;

        station.Start(1);
        Run(station, 5);
        var one = station.OutletPressureMPa;
        station.Start(2);
        Run(station, 5);
        var two = station.OutletPressureMPa;

        Assert.InRange(idle, 0.01, 0.03);
        Assert.InRange(one, 0.18, 0.22);
        Assert.InRange(two, 0.20, 0.25);
        Assert.True(two > one);
    }

    [Fact]
    public void Meter_SameSeedSameCalls_IdenticalReadings()
    {
        Assert.Equal(Scenario(seed: 42), Scenario(seed: 42));
    }

    [Fact]
    public void Meter_DifferentSeeds_ReadingsDiffer()
    {
        var first = Scenario(seed: 1);
        var second = Scenario(seed: 2);

        Assert.NotEqual(first[0], second[0]);
        Assert.NotEqual(first[^1], second[^1]);
    }

    [Fact]
    public void Step_OneLongStepOrTenShortOnes_IdenticalReadings()
    {
        var coarse = NewStation(seed: 9);
        var fine = NewStation(seed: 9);
        coarse.Start(1);
        fine.Start(1);

        coarse.Step(TimeSpan.FromSeconds(1));
        Run(fine, 1);

        Assert.Equal(coarse.Meter, fine.Meter);
        Assert.Equal(coarse.SumpLevelM, fine.SumpLevelM);
    }

    [Fact]
    public void ForwardEnergyKWh_LongRandomRun_NeverDecreases()
    {
        var station = NewStation(pumps: 3, seed: 5);
        var driver = new Random(1234);
        var previous = station.Meter.ForwardEnergyKWh;

        for (var i = 0; i < 5000; i++)
        {
            var pump = driver.Next(1, 4);
            switch (driver.Next(12))
            {
                case 0: station.Start(pump); break;
                case 1: station.Stop(pump); break;
                case 2: station.ResetFaults(pump); break;
                case 3: station.SetOverload(pump, driver.NextDouble() < 0.5 ? 1.0 : 1.5); break;
                case 4: station.SetPhaseLoss(driver.Next(3), driver.NextDouble() < 0.3); break;
                case 5: station.MainsPresent = driver.NextDouble() < 0.9; break;
                case 6: station.SetInflow(driver.NextDouble() * 1200); break;
                case 7: station.RemoteMode = driver.NextDouble() < 0.8; break;
                case 8: station.LocalStart(pump); break;
                default: break;
            }

            station.Step(TimeSpan.FromSeconds(0.1 + driver.NextDouble() * 0.9));
            var meter = station.Meter;
            Assert.True(meter.ForwardEnergyKWh >= previous, $"energy fell at step {i}");
            Assert.True(double.IsFinite(meter.ActivePowerW) && meter.ActivePowerW >= 0);
            Assert.InRange(meter.PowerFactor, 0, 1);
            Assert.InRange(station.SumpLevelM, 0, 4);
            previous = meter.ForwardEnergyKWh;
        }

        Assert.True(previous > 0);
    }

    [Fact]
    public void Start_RunningPump_AlreadyInState()
    {
        var station = NewStation();

        Assert.Equal(CommandOutcome.Accepted, station.Start(1));
        Assert.Equal(CommandOutcome.AlreadyInState, station.Start(1));
        Assert.Equal(1u, station.Pumps[0].Starts);
    }

    [Fact]
    public void Start_PumpNumberOutOfRange_Throws()
    {
        var station = NewStation(pumps: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => station.Start(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => station.Start(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => station.SetPhaseLoss(3, lost: true));
    }

    private static List<MeterReading> Scenario(int seed)
    {
        var station = NewStation(pumps: 2, seed: seed);
        var readings = new List<MeterReading> { station.Meter };
        station.Start(1);
        Run(station, 3, stepSeconds: 0.25);
        readings.Add(station.Meter);
        station.Start(2);
        station.SetOverload(2, 1.3);
        Run(station, 10, stepSeconds: 0.5);
        readings.Add(station.Meter);
        station.SetPhaseLoss(2, lost: true);
        Run(station, 2);
        readings.Add(station.Meter);
        station.Stop(1);
        Run(station, 5, stepSeconds: 1);
        readings.Add(station.Meter);
        return readings;
    }
}
