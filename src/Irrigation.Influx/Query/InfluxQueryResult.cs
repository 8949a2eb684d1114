using System.Text.Json;

namespace Irrigation.Influx.Query;

/// <summary>One series of a statement's result: measurement name, GROUP BY tags, columns and rows.</summary>
public sealed class InfluxSeries
{
    internal InfluxSeries(string name, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> columns, IReadOnlyList<JsonElement[]> values)
    {
        Name = name;
        Tags = tags;
        Columns = columns;
        Values = values;
    }

    public string Name { get; }

    /// <summary>The GROUP BY tags of this series; empty without GROUP BY.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; }

    /// <summary>Column names; the first is <c>time</c> for SELECT (Unix ms with <c>epoch=ms</c>).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows, one JSON value per column (null where the row has no value).</summary>
    public IReadOnlyList<JsonElement[]> Values { get; }

    /// <summary>Index of <paramref name="column"/>, or -1.</summary>
    public int ColumnIndex(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], column, StringComparison.Ordinal))
                return i;
        }

        return -1;
    }

    /// <summary>The value of <paramref name="column"/> in row <paramref name="row"/>; throws for an unknown column.</summary>
    public JsonElement Value(int row, string column)
    {
        var index = ColumnIndex(column);
        if (index < 0)
            throw new KeyNotFoundException($"Series '{Name}' has no column '{column}' (columns: {string.Join(", ", Columns)}).");
        return Values[row][index];
    }
}

/// <summary>The result of one statement of a query.</summary>
public sealed class InfluxStatementResult
{
    internal InfluxStatementResult(int statementId, IReadOnlyList<InfluxSeries> series, IReadOnlyList<string> messages)
    {
        StatementId = statementId;
        Series = series;
        Messages = messages;
    }

    public int StatementId { get; }

    public IReadOnlyList<InfluxSeries> Series { get; }

    /// <summary>Informational messages (deprecation warnings and the like).</summary>
    public IReadOnlyList<string> Messages { get; }
}

/// <summary>The results of every statement of a query, in order.</summary>
public sealed class InfluxQueryResult
{
    internal InfluxQueryResult(IReadOnlyList<InfluxStatementResult> statements) => Statements = statements;

    public IReadOnlyList<InfluxStatementResult> Statements { get; }

    /// <summary>Every series of every statement.</summary>
    public IEnumerable<InfluxSeries> Series => Statements.SelectMany(s => s.Series);
}

/// <summary>The server refused a query or one of its statements; the message is the server's.</summary>
public sealed class InfluxQueryException : Exception
{
    public InfluxQueryException(string message, int? statusCode = null, int? statementId = null)
        : base(message)
    {
        StatusCode = statusCode;
        StatementId = statementId;
    }

    public int? StatusCode { get; }

    /// <summary>The statement that failed, when the query parsed and one statement failed.</summary>
    public int? StatementId { get; }
}
