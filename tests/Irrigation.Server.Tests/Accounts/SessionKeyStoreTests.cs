using System.Xml.Linq;
using Irrigation.Server.Accounts;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests.Accounts;

/// <summary>The session cookies' key ring in the database, on both engines: what one instance stores, another reads.</summary>
public abstract class SessionKeyStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : SessionKeyStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : SessionKeyStoreTests(DatabaseProvider.PostgreSql);

    [Fact]
    public void StoreElement_ReadByAnotherInstance_InOrder_AStoredNameNotReplaced()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        var first = new SessionKeyStore(Database, clock);
        first.StoreElement(new XElement("key", new XAttribute("id", "a"), new XElement("secret", "一")), "key-a");
        clock.Advance(TimeSpan.FromSeconds(1));
        first.StoreElement(new XElement("key", new XAttribute("id", "b")), "key-b");
        first.StoreElement(new XElement("key", new XAttribute("id", "a-again")), "key-a");

        var read = new SessionKeyStore(Reopen(), clock).GetAllElements();

        Assert.Equal(["a", "b"], read.Select(e => (string)e.Attribute("id")!));
        Assert.Equal("一", read.First().Element("secret")!.Value);
    }
}
