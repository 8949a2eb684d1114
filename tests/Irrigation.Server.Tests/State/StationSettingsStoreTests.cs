using Irrigation.Server.Accounting;
using Microsoft.Extensions.Options;
using Irrigation.Server.Data;
using Irrigation.Server.State;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests;

/// <summary>An administrator's station settings in a real database, on both engines: kept across restarts, applied to every station.</summary>
public abstract class StationSettingsStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : StationSettingsStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : StationSettingsStoreTests(DatabaseProvider.PostgreSql);

    [Fact]
    public void Save_KeptAcrossARestart_AppliedToConfiguredAndFirstSightStations_CoefficientOverridesTheConfiguration()
    {
        var options = new AccountingOptions();
        options.WaterPerKwh["st001"] = 18;
        var registry = new StationRegistry(acceptUnknown: true);
        registry.Add(new StationEntry("st001", "城东机埠", "城东镇"));
        var store = new StationSettingsStore(Database);
        store.ApplyTo(registry);
        var coefficients = new WaterCoefficients(store, Options.Create(options));
        Assert.Equal(18, coefficients.CoefficientOf("st001"));
        Assert.False(coefficients.IsCalibrated("st002"));

        store.Save(registry.Find("st001")!, "城东一号机埠", null, 12.5, "admin", 1_000);
        store.Save(new StationEntry("st002", "st002", ""), null, "城西镇", 9, "admin", 2_000);

        // A restart: a fresh registry from the configuration, a fresh store from the same file.
        var again = new StationRegistry(acceptUnknown: true);
        again.Add(new StationEntry("st001", "城东机埠", "城东镇"));
        var reopened = new StationSettingsStore(Database);
        reopened.ApplyTo(again);
        var reread = new WaterCoefficients(reopened, Options.Create(options));
        var st001 = again.Find("st001")!;
        Assert.Equal(("城东一号机埠", "城东镇"), (st001.Name, st001.Site));
        Assert.Equal(12.5, reread.CoefficientOf("st001"));
        var st002 = again.Find("st002"u8)!; // registered on first sight, as its first telemetry would
        Assert.Equal(("st002", "城西镇"), (st002.Name, st002.Site));
        Assert.Equal(9, reread.CoefficientOf("st002"));
        Assert.True(reread.IsCalibrated("st002"));
        Assert.Equal(20, reread.CoefficientOf("st003")); // the default
    }

    [Fact]
    public void Save_TwoInstancesChangeDifferentFields_NeitherUndoesTheOther()
    {
        var first = new StationSettingsStore(Database);
        var second = new StationSettingsStore(Reopen()); // loaded before the first saves: its copy is stale
        first.Save(new StationEntry("st001", "城东机埠", "城东镇"), "城东一号机埠", null, null, "admin", 1_000);
        var saved = second.Save(new StationEntry("st001", "城东机埠", "城东镇"), null, null, 12.5, "admin2", 2_000);

        Assert.Equal(("城东一号机埠", 12.5), (saved.Name, saved.WaterPerKwh!.Value));
        var reopened = new StationSettingsStore(Reopen()).Find("st001")!;
        Assert.Equal(("城东一号机埠", (string?)null, 12.5, "admin2"), (reopened.Name, reopened.Site, reopened.WaterPerKwh!.Value, reopened.UpdatedBy));
    }

    [Fact]
    public void Refresh_AnotherInstanceSaved_ReadAgainAndAppliedOnce()
    {
        var first = new StationSettingsStore(Database);
        var second = new StationSettingsStore(Reopen());
        var registry = new StationRegistry(acceptUnknown: false);
        registry.Add(new StationEntry("st001", "城东机埠", "城东镇"));
        second.ApplyTo(registry);
        Assert.False(second.Refresh()); // nothing changed since it was loaded

        first.Save(new StationEntry("st001", "城东机埠", "城东镇"), "城东一号机埠", "城东新镇", 12.5, "admin", 1_000);
        Assert.True(second.Refresh());
        Assert.Equal(("城东一号机埠", "城东新镇"), (registry.Find("st001")!.Name, registry.Find("st001")!.Site));
        Assert.Equal(12.5, second.WaterPerKwhOf("st001"));
        Assert.False(second.Refresh());

        // Every later save moves the version again.
        first.Save(new StationEntry("st001", "城东机埠", "城东镇"), null, null, 14, "admin", 1_000);
        Assert.True(second.Refresh());
        Assert.Equal(14, second.WaterPerKwhOf("st001"));
    }
}
