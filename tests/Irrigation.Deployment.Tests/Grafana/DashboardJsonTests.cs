using System.Text.Json.Nodes;
using Irrigation.Testing;
using YamlDotNet.RepresentationModel;

namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>The dashboard JSON and the provisioning files, checked without Grafana.</summary>
public sealed class DashboardJsonTests
{
    private static readonly string[] ExpectedDashboards = ["acceptance.json", "energy-water.json", "fleet-overview.json", "station-detail.json"];

    public static TheoryData<string> Dashboards() => new(ExpectedDashboards);

    [Fact]
    public void DashboardsFolder_HoldsTheFourDashboards()
    {
        Assert.Equal(ExpectedDashboards, DashboardFile.Paths.Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_UidTitlesAndDataSources_AreProvisionable(string file)
    {
        var dashboard = DashboardFile.Load(Path.Combine(DashboardFile.Directory, file));
        var uid = ProvisionedDataSourceUid();

        Assert.Matches("^irrigation-[a-z-]+$", (string?)dashboard["uid"]);
        AssertChineseAndEnglish((string?)dashboard["title"], $"{file}: title");
        Assert.Equal("Asia/Shanghai", (string?)dashboard["timezone"]);
        var panels = DashboardFile.Panels(dashboard).ToArray();
        Assert.NotEmpty(panels);
        Assert.Equal(panels.Length, panels.Select(p => (int)p["id"]!).Distinct().Count());
        foreach (var panel in panels)
        {
            var title = (string?)panel["title"];
            AssertChineseAndEnglish(title, $"{file}: panel title");
            Assert.True(uid == (string?)panel["datasource"]?["uid"], $"{file}: panel '{title}' uses data source {panel["datasource"]?.ToJsonString()}, not the provisioned '{uid}'");
            var targets = panel["targets"]?.AsArray() ?? [];
            Assert.True(targets.Count > 0, $"{file}: panel '{title}' has no query");
            foreach (var target in targets)
            {
                Assert.Equal(uid, (string?)target!["datasource"]?["uid"]);
                Assert.True((bool?)target["rawQuery"] == true, $"{file}: panel '{title}' target {target["refId"]} is not a raw InfluxQL query");
                Assert.False(string.IsNullOrWhiteSpace((string?)target["query"]));
            }

            var grid = panel["gridPos"]!;
            Assert.InRange((int)grid["x"]! + (int)grid["w"]!, 1, 24);
        }

        foreach (var annotation in DashboardFile.Annotations(dashboard))
            Assert.Equal(uid, (string?)annotation["datasource"]?["uid"]);
        foreach (var variable in DashboardFile.Variables(dashboard).Where(v => (string?)v["type"] == "query"))
            Assert.Equal(uid, (string?)variable["datasource"]?["uid"]);
    }

    [Fact]
    public void Dashboards_UidsAreUnique()
    {
        var uids = DashboardFile.Paths.Select(p => (string)DashboardFile.Load(p)["uid"]!).ToArray();
        Assert.Equal(uids.Length, uids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void DayGroupedQueries_UseBeijingDays()
    {
        foreach (var query in DashboardFile.AllQueries().Where(q => q.Query.Contains("time(1d)", StringComparison.Ordinal)))
            Assert.True(query.Query.Contains("tz('Asia/Shanghai')", StringComparison.Ordinal), $"{query.Id} groups by day without tz('Asia/Shanghai')");
    }

    [Fact]
    public void DataSourceProvisioning_IsInfluxQlOnTheIrrigationDatabase()
    {
        var source = DataSource();
        Assert.Equal("influxdb", Scalar(source, "type"));
        Assert.Equal("irrigation", Scalar(source, "database"));
        var json = (YamlMappingNode)source.Children[new YamlScalarNode("jsonData")];
        Assert.Equal("InfluxQL", Scalar(json, "version"));
        Assert.Equal("irrigation", Scalar(json, "dbName"));
        Assert.Equal("$INFLUXDB_URL", Scalar(source, "url"));
    }

    [Fact]
    public void DashboardProvisioning_IsAFileProvider()
    {
        var provider = (YamlMappingNode)((YamlSequenceNode)LoadYaml("grafana/provisioning/dashboards/dashboards.yaml").Children[new YamlScalarNode("providers")]).Children[0];
        Assert.Equal("file", Scalar(provider, "type"));
        Assert.StartsWith("/", Scalar((YamlMappingNode)provider.Children[new YamlScalarNode("options")], "path"), StringComparison.Ordinal);
    }

    public static string ProvisionedDataSourceUid() => Scalar(DataSource(), "uid");

    /// <summary>Where the provisioning file tells Grafana to read dashboards (compose mounts grafana/dashboards there).</summary>
    public static string ProvisionedDashboardsPath()
    {
        var provider = (YamlMappingNode)((YamlSequenceNode)LoadYaml("grafana/provisioning/dashboards/dashboards.yaml").Children[new YamlScalarNode("providers")]).Children[0];
        return Scalar((YamlMappingNode)provider.Children[new YamlScalarNode("options")], "path");
    }

    private static YamlMappingNode DataSource() =>
        (YamlMappingNode)((YamlSequenceNode)LoadYaml("grafana/provisioning/datasources/influxdb.yaml").Children[new YamlScalarNode("datasources")]).Children.Single();

    private static YamlMappingNode LoadYaml(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(RepoPaths.Root, relativePath)));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    private static void AssertChineseAndEnglish(string? title, string what)
    {
        Assert.False(string.IsNullOrWhiteSpace(title), $"{what} is empty");
        Assert.True(title!.Any(c => c is >= '\u4e00' and <= '\u9fff'), $"{what} '{title}' has no Chinese");
        Assert.True(title.Any(char.IsAsciiLetter), $"{what} '{title}' has no English");
    }
}
