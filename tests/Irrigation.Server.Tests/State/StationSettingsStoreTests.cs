using Irrigation.Server.Accounting;
using Microsoft.Extensions.Options;
using Irrigation.Server.Data;
using Irrigation.Server.State;

namespace Irrigation.Server.Tests;

/// <summary>An administrator's station settings in a real SQLite file: kept across restarts, applied to every station.</summary>
public sealed class StationSettingsStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "irrigation-stationsettings-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ServerDatabase _database;

    public StationSettingsStoreTests()
    {
        Directory.CreateDirectory(_directory);
        _database = new ServerDatabase(Path.Combine(_directory, "irrigation.db"));
        _database.Migrate();
    }

    [Fact]
    public void Save_KeptAcrossARestart_AppliedToConfiguredAndFirstSightStations_CoefficientOverridesTheConfiguration()
    {
        var options = new AccountingOptions();
        options.WaterPerKwh["st001"] = 18;
        var registry = new StationRegistry(acceptUnknown: true);
        registry.Add(new StationEntry("st001", "城东机埠", "城东镇"));
        var store = new StationSettingsStore(_database);
        store.ApplyTo(registry);
        var coefficients = new WaterCoefficients(store, Options.Create(options));
        Assert.Equal(18, coefficients.CoefficientOf("st001"));
        Assert.False(coefficients.IsCalibrated("st002"));

        store.Save(registry.Find("st001")!, "城东一号机埠", null, 12.5, "admin", 1_000);
        store.Save(new StationEntry("st002", "st002", ""), null, "城西镇", 9, "admin", 2_000);

        // A restart: a fresh registry from the configuration, a fresh store from the same file.
        var again = new StationRegistry(acceptUnknown: true);
        again.Add(new StationEntry("st001", "城东机埠", "城东镇"));
        var reopened = new StationSettingsStore(_database);
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

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
