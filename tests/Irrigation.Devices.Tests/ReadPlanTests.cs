using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Values;
using static Irrigation.Devices.RegisterFunction;

namespace Irrigation.Devices.Tests;

/// <summary>
/// Quantities become as few requests as the device allows. Expected blocks are worked out by hand from the
/// profile JSON: a block runs from its first quantity's address to the end of its last quantity's registers.
/// </summary>
public sealed class ReadPlanTests
{
    [Fact]
    public void Build_Dtsu666Defaults_TwoHoldingRequests()
    {
        // 0x2000..0x2013 (10 floats), gap 22 to 0x202A, gap 24 to 0x2044 (maxGap 40): 0x2000..0x2045 = 70 registers.
        // forward_energy at 0x401E is far away: its own request.
        var plan = Plan(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666));

        Assert.Equal([(Holding, 0x2000, 70), (Holding, 0x401E, 2)], Blocks(plan));
        Assert.Equal(12, plan[0].Quantities.Count);
        Assert.Equal("forward_energy", Assert.Single(plan[1].Quantities).Key);
    }

    [Theory]
    [InlineData("0x101E", 0x101E)]
    [InlineData("0x4000", 0x4000)]
    public void Build_Dtsu666OtherEnergyRegister_MovesTheSecondRequest(string choice, int address)
    {
        var plan = Plan(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, $"energyRegister={choice}"));

        Assert.Equal(
            new[] { (Holding, 0x2000, 70), (Holding, address, 2) }.OrderBy(b => b.Item2),
            Blocks(plan));
    }

    [Fact]
    public void Build_Dtsu666ReadFunctionInput_SameBlocksAsInputRequests()
    {
        var plan = Plan(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, "readFunction=input"));

        Assert.Equal([(Input, 0x2000, 70), (Input, 0x401E, 2)], Blocks(plan));
        Assert.Equal(ModbusFunctionCode.ReadInputRegisters, DeviceReader.ToRequest(plan[0]).Function);
    }

    [Fact]
    public void Build_Sdm630_OneInputRequestOf74()
    {
        // 0x00..0x0B, gap exactly 40 to 0x34 (maxGap 40), 0x3E, 0x46, 0x48..0x49: 74 registers <= maxRegisters 80.
        var plan = Plan(ShippedProfiles.Resolve(ShippedProfiles.Sdm630));

        Assert.Equal([(Input, 0x0000, 74)], Blocks(plan));
        Assert.All(plan, b => Assert.True(b.Count <= 80));
        Assert.Equal(10, plan[0].Quantities.Count);
    }

    [Fact]
    public void Build_Sdm630MaxGap39_SplitsAtTheGapOf40()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Sdm630);

        var plan = ReadPlan.Build(resolved.Expand(0), resolved.Profile.ReadPlan with { MaxGap = 39 });

        Assert.Equal([(Input, 0x0000, 12), (Input, 0x0034, 22)], Blocks(plan));
    }

    [Fact]
    public void Build_Sdm630MaxRegisters73_SplitsBeforeTheLastFloat()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Sdm630);

        var plan = ReadPlan.Build(resolved.Expand(0), resolved.Profile.ReadPlan with { MaxRegisters = 73 });

        Assert.Equal([(Input, 0x0000, 72), (Input, 0x0048, 2)], Blocks(plan));
    }

    [Fact]
    public void Build_Adl400_ThreeHoldingRequests()
    {
        // 10..11 energy; 97..102, 119, 141, 142 (gaps 16 and 21 <= 24) = 97..142; 362..363 and 383 (gap 19).
        var plan = Plan(ShippedProfiles.Resolve(ShippedProfiles.Adl400));

        Assert.Equal([(Holding, 10, 2), (Holding, 97, 46), (Holding, 362, 22)], Blocks(plan));
        Assert.Equal(
            ["voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c", "frequency", "pt_ratio", "ct_ratio"],
            plan[1].Quantities.Select(q => q.Key));
    }

    [Fact]
    public void Build_PumpControllerFourPumps_OneHoldingRequestFrom0To46()
    {
        // Station 0..6, gap 3, pump n at 10n..10n+4 and 10n+6 (the control word 10n+5 between; gaps ≤ 3, maxGap 10):
        // pump 4 ends at 46, so 0..46 = 47 registers.
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), 4);

        Assert.Equal([(Holding, 0, 47)], Blocks(reader.Plan));
        Assert.Equal(7 + (4 * 9), reader.Plan[0].Quantities.Count);
    }

    [Theory]
    [InlineData(0, 7)]
    [InlineData(1, 17)]
    [InlineData(2, 27)]
    public void Build_PumpControllerFewerPumps_EndsAtTheLastPump(int pumps, int count)
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), pumps);

        Assert.Equal([(Holding, 0, count)], Blocks(reader.Plan));
    }

    [Fact]
    public void Build_PumpControllerMaxGap0_SplitsEachPumpAtTheControlWord()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.PumpController);

        var plan = ReadPlan.Build(resolved.Expand(4), resolved.Profile.ReadPlan with { MaxGap = 0 });

        Assert.Equal(
            [(Holding, 0, 7), (Holding, 10, 5), (Holding, 16, 1), (Holding, 20, 5), (Holding, 26, 1), (Holding, 30, 5), (Holding, 36, 1), (Holding, 40, 5), (Holding, 46, 1)],
            Blocks(plan));
    }

    [Fact]
    public void Build_MaxGap0_SplitsAtAnyGapButJoinsAdjacent()
    {
        var quantities = new[] { Q("a", 0), Q("b", 1), Q("c", 3, RegisterType.Float32), Q("d", 5), Q("e", 7) };

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxGap = 0 });

        Assert.Equal([(Holding, 0, 2), (Holding, 3, 3), (Holding, 7, 1)], Blocks(plan));
    }

    [Fact]
    public void Build_MaxGap_GapOfExactlyMaxGapJoins()
    {
        var quantities = new[] { Q("a", 0), Q("b", 4), Q("c", 9) };

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxGap = 3 });

        Assert.Equal([(Holding, 0, 5), (Holding, 9, 1)], Blocks(plan));
    }

    [Fact]
    public void Build_RunLongerThan125_SplitsAt125()
    {
        var quantities = Enumerable.Range(0, 130).Select(i => Q($"r{i}", (ushort)(1000 + i))).ToList();

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxRegisters = ModbusLimits.MaxReadRegisters });

        Assert.Equal([(Holding, 1000, 125), (Holding, 1125, 5)], Blocks(plan));
        Assert.Equal(125, plan[0].Quantities.Count);
    }

    [Fact]
    public void Build_FloatsRunLongerThan125_NeverSplitsAFloat()
    {
        // 70 floats = 140 registers: 62 floats fill 124 registers, the 63rd would make 126.
        var quantities = Enumerable.Range(0, 70).Select(i => Q($"f{i}", (ushort)(2 * i), RegisterType.Float32)).ToList();

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxRegisters = ModbusLimits.MaxReadRegisters });

        Assert.Equal([(Holding, 0, 124), (Holding, 124, 16)], Blocks(plan));
    }

    [Fact]
    public void Build_BitsSharingOneRegister_LandInOneBlock()
    {
        var quantities = new[] { Bit("b3", 5, 3), Bit("b0", 5, 0), Q("level", 9), Bit("b15", 5, 15), Bit("b1", 5, 1) };

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxGap = 0 });

        Assert.Equal([(Holding, 5, 1), (Holding, 9, 1)], Blocks(plan));
        Assert.Equal(["b0", "b1", "b3", "b15"], plan[0].Quantities.Select(q => q.Key));
    }

    [Fact]
    public void Build_PumpStatusBits_ShareTheirStatusWordsBlock()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), 2);

        var block = Assert.Single(reader.Plan);
        Assert.Contains(block.Quantities, q => q.Key == "pump2.running");
        Assert.Contains(block.Quantities, q => q.Key == "pump2.fault_dry_run");
        Assert.Contains(block.Quantities, q => q.Key == "door_open");
    }

    [Fact]
    public void Build_MixedTables_OneGroupPerTableInTableOrder()
    {
        var quantities = new[]
        {
            Q("h", 0), Q("i", 0, function: Input), Q("c", 0, RegisterType.Bit, Coil), Q("d", 0, RegisterType.Bit, Discrete),
        };

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings());

        Assert.Equal([(Coil, 0, 1), (Discrete, 0, 1), (Holding, 0, 1), (Input, 0, 1)], Blocks(plan));
        Assert.Equal(
            [ModbusFunctionCode.ReadCoils, ModbusFunctionCode.ReadDiscreteInputs, ModbusFunctionCode.ReadHoldingRegisters, ModbusFunctionCode.ReadInputRegisters],
            plan.Select(b => DeviceReader.ToRequest(b).Function));
    }

    [Fact]
    public void Build_Coils_JoinAcrossGapsUpTo16AndStayWithinMaxBits()
    {
        var quantities = new[]
        {
            Q("c0", 0, RegisterType.Bit, Coil), Q("c17", 17, RegisterType.Bit, Coil), Q("c34", 34, RegisterType.Bit, Coil),
            Q("c50", 50, RegisterType.Bit, Coil),
        };

        var plan = ReadPlan.Build(quantities, new ReadPlanSettings { MaxGap = 0, MaxBits = 40 });

        // 0 -> 17: gap 16 joins; 17 -> 34: gap 16 joins (0..34 = 35 bits); 50 would make 51 > 40 bits.
        Assert.Equal([(Coil, 0, 35), (Coil, 50, 1)], Blocks(plan));
    }

    [Fact]
    public void ToRequest_Block_IsTheReadOfItsTableStartAndCount()
    {
        var block = new ReadBlock(Holding, 0x2000, 70, []);

        Assert.Equal(new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 0x2000, 70), DeviceReader.ToRequest(block));
    }

    private static IReadOnlyList<ReadBlock> Plan(ResolvedProfile resolved) => new DeviceReader(resolved, 0).Plan;

    private static List<(RegisterFunction, int, int)> Blocks(IEnumerable<ReadBlock> plan) =>
        plan.Select(b => (b.Function, (int)b.Start, (int)b.Count)).ToList();

    private static QuantityInstance Q(string name, ushort address, RegisterType type = RegisterType.UInt16, RegisterFunction function = Holding)
    {
        var definition = new QuantityDefinition { Name = name, Address = address, Type = type, Function = function };
        return new QuantityInstance(definition, null, definition);
    }

    private static QuantityInstance Bit(string name, ushort address, int bit)
    {
        var definition = new QuantityDefinition { Name = name, Address = address, Type = RegisterType.Bit, Bit = bit };
        return new QuantityInstance(definition, null, definition);
    }
}
