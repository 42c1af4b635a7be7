using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>Keeps formatted log lines so tests can assert what an operator would read.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

    public IReadOnlyCollection<(LogLevel Level, string Message)> Lines => _lines;

    public bool Contains(LogLevel level, string fragment)
        => _lines.Any(l => l.Level == level && l.Message.Contains(fragment, StringComparison.Ordinal));

    public string Dump() => string.Join('\n', _lines.Select(l => $"{l.Level}: {l.Message}"));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _lines.Enqueue((logLevel, formatter(state, exception)));
}
