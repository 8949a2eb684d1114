using Microsoft.Extensions.Logging;

namespace Irrigation.Spool.Tests.TestSupport;

/// <summary>Keeps every log entry so tests can assert that a loss was reported.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly Lock _sync = new();
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_sync)
                return [.. _entries];
        }
    }

    public IEnumerable<string> At(LogLevel level) => Entries.Where(e => e.Level == level).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_sync)
            _entries.Add((logLevel, formatter(state, exception)));
    }
}
