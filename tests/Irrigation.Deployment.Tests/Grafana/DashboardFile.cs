using System.Text.Json.Nodes;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>One InfluxQL query of a dashboard: a panel target, an annotation or a template variable.</summary>
/// <param name="Id">"acceptance.json / 数据中断 Gaps in good data / A": unique, readable in a test name.</param>
/// <param name="MinInterval">The panel's minimum interval ("1m"), which Grafana applies to $__interval; null when unset.</param>
public sealed record DashboardQuery(string Id, string Dashboard, string Query, string? MinInterval);

/// <summary>The provisioned dashboards in grafana/dashboards, read as JSON.</summary>
public static class DashboardFile
{
    public static string Directory => Path.Combine(RepoPaths.Root, "grafana", "dashboards");

    public static IReadOnlyList<string> Paths => System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal).ToArray();

    public static JsonObject Load(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    /// <summary>Panels, also those nested in collapsed rows.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var panel in dashboard["panels"]?.AsArray() ?? [])
        {
            var p = panel!.AsObject();
            yield return p;
            foreach (var nested in p["panels"]?.AsArray() ?? [])
                yield return nested!.AsObject();
        }
    }

    /// <summary>Annotation queries other than Grafana's built-in one.</summary>
    public static IEnumerable<JsonObject> Annotations(JsonObject dashboard) =>
        (dashboard["annotations"]?["list"]?.AsArray() ?? []).Select(a => a!.AsObject()).Where(a => a["builtIn"] is null);

    public static IEnumerable<JsonObject> Variables(JsonObject dashboard) =>
        (dashboard["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject());

    /// <summary>Every InfluxQL query of every dashboard.</summary>
    public static IReadOnlyList<DashboardQuery> AllQueries()
    {
        var queries = new List<DashboardQuery>();
        foreach (var path in Paths)
        {
            var name = Path.GetFileName(path);
            var dashboard = Load(path);
            foreach (var panel in Panels(dashboard))
            {
                foreach (var target in panel["targets"]?.AsArray() ?? [])
                {
                    var query = (string?)target!["query"] ?? throw new InvalidDataException($"{name}: panel '{panel["title"]}' has a target without a raw query.");
                    queries.Add(new DashboardQuery($"{name} / {panel["title"]} / {target["refId"]}", name, query, (string?)panel["interval"]));
                }
            }

            foreach (var annotation in Annotations(dashboard))
                queries.Add(new DashboardQuery($"{name} / annotation {annotation["name"]}", name, (string)annotation["query"]!, null));
            foreach (var variable in Variables(dashboard).Where(v => (string?)v["type"] == "query"))
                queries.Add(new DashboardQuery($"{name} / variable {variable["name"]}", name, (string)variable["query"]!, null));
        }

        return queries;
    }
}
