using Irrigation.Server.Configuration;

namespace Irrigation.Server.Storage;

public sealed class ServerInfluxOptions : IFeatureOptions
{
    /// <summary>More would multiply every batch's writes and spool space for no further safety.</summary>
    public const int MaxReplicas = 4;

    /// <summary>The name of the one replica made from <see cref="Url"/> when <see cref="Replicas"/> is empty.</summary>
    public const string DefaultReplicaName = "influx";

    public static string Section => "Irrigation:Influx";

    public string Url { get; set; } = "http://127.0.0.1:8086";

    public string Database { get; set; } = "irrigation";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    public bool Gzip { get; set; } = true;

    /// <summary>Raw data retention (the database's default policy "raw").</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Create the database, retention policies and continuous queries at start-up when missing.</summary>
    public bool CreateSchema { get; set; } = true;

    /// <summary>
    /// Time-series replicas that each receive every batch (docs/scale-out.md, "Time series"). Empty: one replica,
    /// <see cref="DefaultReplicaName"/>, from <see cref="Url"/> and the credentials above. The first listed is
    /// preferred for queries.
    /// </summary>
    public List<InfluxReplicaOptions> Replicas { get; set; } = [];

    /// <summary>The replicas in configured order, each with its database and credentials filled in.</summary>
    public IReadOnlyList<InfluxReplicaOptions> EffectiveReplicas()
    {
        if (Replicas.Count == 0)
            return [new InfluxReplicaOptions { Name = DefaultReplicaName, Url = Url, Database = Database, Username = Username, Password = Password, Token = Token }];
        return Replicas.Select(r =>
        {
            var ownCredentials = r.Username is not null || r.Token is not null;
            return new InfluxReplicaOptions
            {
                Name = r.Name,
                Url = r.Url,
                Database = r.Database ?? Database,
                Username = ownCredentials ? r.Username : Username,
                Password = ownCredentials ? r.Password : Password,
                Token = ownCredentials ? r.Token : Token,
            };
        }).ToList();
    }

    public void Validate()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out _))
            throw new ArgumentException($"Irrigation:Influx:Url '{Url}' is not an absolute URL.");
        if (string.IsNullOrWhiteSpace(Database))
            throw new ArgumentException("Irrigation:Influx:Database is required.");
        if (RawRetention < TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Influx:RawRetention must be at least 1 h.");
        if (Replicas.Count > MaxReplicas)
            throw new ArgumentException($"Irrigation:Influx:Replicas lists {Replicas.Count}; at most {MaxReplicas} are supported.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Replicas.Count; i++)
        {
            var prefix = $"Irrigation:Influx:Replicas:{i}";
            if (Replicas[i] is not { } replica)
                throw new ArgumentException($"{prefix} is empty.");
            replica.Validate(prefix);
            if (!names.Add(replica.Name))
                throw new ArgumentException($"{prefix}:Name '{replica.Name}' is used by an earlier replica; names must be unique.");
        }
    }
}
