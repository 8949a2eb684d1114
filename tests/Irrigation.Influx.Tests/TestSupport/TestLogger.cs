using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests.TestSupport;

/// <summary>One logged line, kept so tests can assert what the client said.</summary>
internal sealed record LogEntry(LogLevel Level, string Message);

/// <summary>An <see cref="ILogger"/> that keeps every entry and echoes it to the xunit test output.</summary>
internal sealed class TestLogger(ITestOutputHelper? output, string name = "influx") : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        _entries.Enqueue(new LogEntry(logLevel, message));
        try
        {
            output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} [{name}] {message}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished: xunit no longer accepts output; the entry is still kept above.
            _entries.Enqueue(new LogEntry(LogLevel.Trace, "output closed"));
        }
    }
}
