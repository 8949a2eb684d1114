using System.Xml.Linq;
using Irrigation.Server.Data;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Irrigation.Server.Accounts;

/// <summary>
/// The Data Protection key ring (the keys that encrypt session cookies) in the server database, used when it is
/// PostgreSQL: every instance reads and adds keys in one place, so a cookie issued by one instance is accepted by the
/// others. Two instances starting on an empty ring may each add a key; both are kept, and an instance that meets a
/// cookie under a key it has not loaded reloads the ring (Data Protection does this on an unknown key id).
/// </summary>
public sealed class SessionKeyStore(ServerDatabase database, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.Open();
        using var select = connection.Command("SELECT xml FROM session_keys ORDER BY created_ms, name");
        using var reader = select.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
            elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentException.ThrowIfNullOrWhiteSpace(friendlyName);
        using var connection = database.Open();
        using var insert = connection.Command(
            "INSERT INTO session_keys (name, xml, created_ms) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
            ("@name", friendlyName), ("@xml", element.ToString(SaveOptions.DisableFormatting)), ("@now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        insert.ExecuteNonQuery();
    }
}
