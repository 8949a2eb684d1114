using Irrigation.Server.Storage;

namespace Irrigation.Server.Tests;

/// <summary>The replica settings, their validation, and the rule that picks the replica a query goes to.</summary>
public sealed class TimeSeriesReplicasTests
{
    private static ServerInfluxOptions Two(string secondName = "b") => new()
    {
        Database = "irrigation",
        Username = "shared",
        Password = "shared-pass",
        Replicas =
        [
            new InfluxReplicaOptions { Name = "a", Url = "http://127.0.0.1:8086" },
            new InfluxReplicaOptions { Name = secondName, Url = "http://127.0.0.1:8087", Database = "other", Token = "tok" },
        ],
    };

    [Fact]
    public void EffectiveReplicas_NoneListed_IsOneReplicaFromTheSingleSettings()
    {
        var options = new ServerInfluxOptions { Url = "http://10.0.0.5:8086", Database = "site", Username = "u", Password = "p" };

        var replica = Assert.Single(options.EffectiveReplicas());

        Assert.Equal((ServerInfluxOptions.DefaultReplicaName, "http://10.0.0.5:8086", "site", "u", "p", (string?)null),
            (replica.Name, replica.Url, replica.Database, replica.Username, replica.Password, replica.Token));
    }

    [Fact]
    public void EffectiveReplicas_Listed_FillsDatabaseAndCredentialsFromTheSection()
    {
        var replicas = Two().EffectiveReplicas();

        Assert.Equal(("a", "irrigation", "shared", "shared-pass", (string?)null), (replicas[0].Name, replicas[0].Database, replicas[0].Username, replicas[0].Password, replicas[0].Token));
        Assert.Equal(("b", "other", (string?)null, (string?)null, "tok"), (replicas[1].Name, replicas[1].Database, replicas[1].Username, replicas[1].Password, replicas[1].Token));
    }

    [Theory]
    [InlineData("A", "Irrigation:Influx:Replicas:1:Name 'A'")]
    [InlineData("a", "Irrigation:Influx:Replicas:1:Name 'a' is used by an earlier replica")]
    [InlineData("", "Irrigation:Influx:Replicas:1:Name ''")]
    [InlineData("b/c", "Irrigation:Influx:Replicas:1:Name 'b/c'")]
    public void Validate_BadName_NamesTheField(string name, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => Two(name).Validate());

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadReplicaFields_NameTheField()
    {
        var badUrl = Two();
        badUrl.Replicas[0].Url = "ftp://x";
        var blankDatabase = Two();
        blankDatabase.Replicas[1].Database = " ";
        var passwordAlone = Two();
        passwordAlone.Replicas[1].Token = null;
        passwordAlone.Replicas[1].Password = "p";
        var tooMany = Two();
        tooMany.Replicas.AddRange(Enumerable.Range(0, 3).Select(i => new InfluxReplicaOptions { Name = $"x{i}", Url = "http://127.0.0.1:1" }));

        Assert.StartsWith("Irrigation:Influx:Replicas:0:Url 'ftp://x'", Assert.Throws<ArgumentException>(badUrl.Validate).Message, StringComparison.Ordinal);
        Assert.StartsWith("Irrigation:Influx:Replicas:1:Database is blank", Assert.Throws<ArgumentException>(blankDatabase.Validate).Message, StringComparison.Ordinal);
        Assert.StartsWith("Irrigation:Influx:Replicas:1:Password is set without", Assert.Throws<ArgumentException>(passwordAlone.Validate).Message, StringComparison.Ordinal);
        Assert.StartsWith("Irrigation:Influx:Replicas lists 5", Assert.Throws<ArgumentException>(tooMany.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoGoodReplicas_Passes()
    {
        Two().Validate();
    }

    [Theory]
    [InlineData("caught up, caught up", "0,1")]          // both fine: the first configured
    [InlineData("down 3, caught up", "1,0")]             // the first is down: the second
    [InlineData("catching up 5, caught up", "1,0")]      // the first is replaying its spool: the second, which has everything
    [InlineData("caught up, catching up 2", "0,1")]
    [InlineData("down 0, caught up", "1,0")]             // its last write failed, nothing spooled yet: not trusted either
    [InlineData("down 9, catching up 4", "1,0")]         // nobody caught up: the healthy one replaying before the failing one
    [InlineData("catching up 9, catching up 4", "1,0")]  // nobody caught up: the one with less to replay
    [InlineData("down 2, down 2", "0,1")]                // nobody healthy, the same backlog: configured order
    [InlineData("down 7, catching up 3, caught up", "2,1,0")]
    [InlineData("caught up", "0")]
    public void QueryOrder_States_CaughtUpFirstInConfiguredOrderThenTheLeastBehind(string states, string expected)
    {
        var parsed = states.Split(", ").Select(s =>
        {
            var words = s.Split(' ');
            return s.StartsWith("caught up", StringComparison.Ordinal) ? new ReplicaState(true, 0)
                : new ReplicaState(words[0] == "catching", long.Parse(words[^1], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();

        Assert.Equal(expected, string.Join(',', TimeSeriesReplicas.QueryOrder(parsed)));
    }

    [Fact]
    public void Replica_WriteOutcomesAndSpool_DriveHealthAndCaughtUp()
    {
        var replicas = new TimeSeriesReplicas(Two());
        var (a, b) = (replicas.All[0], replicas.All[1]);
        long spooled = 0;
        b.TrackSpool(() => spooled);

        Assert.True(a.CaughtUp && b.CaughtUp && replicas.AllCaughtUp);
        Assert.Equal([0, 1], replicas.QueryOrder());

        Assert.True(a.MarkUnhealthy());   // the change is reported once, for the log
        Assert.False(a.MarkUnhealthy());
        Assert.Equal([1, 0], replicas.QueryOrder());

        Assert.True(a.MarkHealthy());
        Assert.False(a.MarkHealthy());
        spooled = 3;                      // b has a backlog: a answers, b is not caught up although healthy
        Assert.True(b.Healthy);
        Assert.False(b.CaughtUp);
        Assert.False(replicas.AllCaughtUp);
        Assert.Equal([0, 1], replicas.QueryOrder());

        Assert.True(a.MarkUnhealthy());   // a fails while b replays: b, the least behind, goes first
        Assert.Equal([1, 0], replicas.QueryOrder());
        Assert.Equal(new ReplicaState(true, 3), b.State);
    }
}
