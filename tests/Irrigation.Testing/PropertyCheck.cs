using FsCheck;
using FsCheck.Fluent;

namespace Irrigation.Testing;

/// <summary>Runs an FsCheck property from a plain xunit fact (FsCheck.Xunit is not available here).</summary>
public static class PropertyCheck
{
    public static void ForAll<T>(Gen<T> generator, Action<T> body, int maxTest = 500) =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true), Prop.ForAll(generator.ToArbitrary(), body));
}
