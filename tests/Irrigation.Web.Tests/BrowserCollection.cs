namespace Irrigation.Web.Tests;

/// <summary>Browser test classes run one after another: each starts a whole system, and the machine has 2 cores.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
