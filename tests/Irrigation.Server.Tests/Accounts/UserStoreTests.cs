using Irrigation.Server.Accounts;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests.Accounts;

/// <summary>Users and tokens on both engines: names without regard to case, lock-out counted by the database across instances.</summary>
public abstract class UserStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : UserStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : UserStoreTests(DatabaseProvider.PostgreSql);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));

    private static readonly AuthOptions Auth = new() { PasswordIterations = 1_000, LockoutFailures = 5 };

    private UserStore Users(ServerDatabase database) => new(database, Options.Create(Auth), _clock);

    [Fact]
    public void Create_NameInAnotherCase_Refused_FoundAndSignedInWhateverTheCase()
    {
        var users = Users(Database);
        users.Create("Zhang", "张三", Roles.Operator, "zhang-password");
        Assert.Equal("user_exists", Assert.Throws<UserChangeException>(() => users.Create("zhang", null, Roles.Viewer, "other-password")).Code);
        Assert.Equal("Zhang", users.Find("ZHANG")?.Username);
        Assert.Equal(SignInStatus.Succeeded, users.SignIn("zHaNg", "zhang-password").Status);

        var (token, _) = users.CreateToken("Zhang", "api");
        Assert.Equal("Zhang", users.FindByToken(token)?.Username);
        var before = users.Find("zhang")!.SecurityStamp;
        Assert.Equal(Roles.Admin, users.Update("ZHANG", null, Roles.Admin, null, null).Role);
        Assert.NotEqual(before, users.Find("zhang")!.SecurityStamp); // a new role ends sessions
        var stamp = users.Find("zhang")!.SecurityStamp;
        Assert.Equal(stamp, users.Update("zhang", "张三丰", Roles.Admin, null, null).SecurityStamp); // the same role: sessions kept
        users.RevokeTokens("zhang");
        Assert.Null(users.FindByToken(token));
        Assert.Equal("user_not_found", Assert.Throws<UserChangeException>(() => users.Update("nobody", null, null, null, true)).Code);
    }

    [Fact]
    public async Task SignIn_WrongPasswordAtSeveralInstancesAtOnce_EveryFailureCounts_Locked()
    {
        Users(Database).Create("operator", null, Roles.Operator, "operator-password");
        var instances = Enumerable.Range(0, 4).Select(_ => Users(Reopen())).ToList();
        using var start = new Barrier(instances.Count);
        var results = await Task.WhenAll(instances.Select(users => Task.Run(() =>
        {
            start.SignalAndWait();
            return users.SignIn("operator", "wrong-password");
        })));
        Assert.All(results, r => Assert.Equal(SignInStatus.InvalidCredentials, r.Status)); // four of five

        var fifth = instances[0].SignIn("operator", "wrong-password");
        Assert.Equal(SignInStatus.LockedOut, fifth.Status);
        Assert.Equal(SignInStatus.LockedOut, instances[1].SignIn("operator", "operator-password").Status); // the right password, still locked
        _clock.Advance(Auth.LockoutDuration + TimeSpan.FromSeconds(1));
        Assert.Equal(SignInStatus.Succeeded, instances[2].SignIn("operator", "operator-password").Status);
    }
}
