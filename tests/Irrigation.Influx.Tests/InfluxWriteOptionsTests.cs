using Irrigation.Influx.Write;

namespace Irrigation.Influx.Tests;

public sealed class InfluxWriteOptionsTests
{
    private static InfluxWriteOptions Valid() => new() { Url = new Uri("http://127.0.0.1:8086/"), Database = "irrigation" };

    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = Valid();
        options.Validate();
        Assert.Equal(5000, options.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(1), options.FlushInterval);
        Assert.True(options.Gzip);
        Assert.Equal(InfluxWriteApi.V1, options.Api);
    }

    public static TheoryData<string, Action<InfluxWriteOptions>> Invalid => new()
    {
        { "no url", o => o.Url = null },
        { "relative url", o => o.Url = new Uri("/x", UriKind.Relative) },
        { "ftp url", o => o.Url = new Uri("ftp://host/") },
        { "v1 without database", o => o.Database = null },
        { "v2 without bucket", o => o.Api = InfluxWriteApi.V2 },
        { "token and user", o => { o.Token = "t"; o.Username = "u"; } },
        { "password alone", o => o.Password = "p" },
        { "query credentials on v2", o => { o.Api = InfluxWriteApi.V2; o.Bucket = "b"; o.Username = "u"; o.CredentialsInQuery = true; } },
        { "zero timeout", o => o.Timeout = TimeSpan.Zero },
        { "zero batch", o => o.BatchSize = 0 },
        { "zero interval", o => o.FlushInterval = TimeSpan.Zero },
        { "queue below batch", o => o.QueueCapacity = o.BatchSize - 1 },
        { "bad retry", o => o.Retry.MaxAttempts = 0 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidSetting_Throws(string what, Action<InfluxWriteOptions> change)
    {
        var options = Valid();
        change(options);
        Assert.Throws<ArgumentException>(options.Validate);
        Assert.NotEmpty(what);
    }

    [Fact]
    public void WriteUri_V1WithQueryCredentials_HasDbRpPrecisionUserPassword()
    {
        using var client = new InfluxWriteClient(new InfluxWriteOptions
        {
            Url = new Uri("http://127.0.0.1:8086/"),
            Database = "irrigation data",
            RetentionPolicy = "one_year",
            Username = "writer",
            Password = "p&ss",
            CredentialsInQuery = true,
        });
        Assert.Equal("http://127.0.0.1:8086/write?db=irrigation%20data&rp=one_year&precision=ms&u=writer&p=p%26ss", client.WriteUri.AbsoluteUri);
    }

    [Fact]
    public void WriteUri_V2WithPathPrefix_KeepsThePrefix()
    {
        using var client = new InfluxWriteClient(new InfluxWriteOptions { Url = new Uri("http://127.0.0.1:8428/influx/"), Api = InfluxWriteApi.V2, Org = "farm", Bucket = "telemetry" });
        Assert.Equal("http://127.0.0.1:8428/influx/api/v2/write?org=farm&bucket=telemetry&precision=ms", client.WriteUri.AbsoluteUri);
    }
}
