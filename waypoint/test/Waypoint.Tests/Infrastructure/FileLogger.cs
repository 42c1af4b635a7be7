using Microsoft.Extensions.Logging;

namespace Meshway.Waypoint.Tests.Infrastructure;

/// <summary>When MESHWAY_TEST_LOG names a file, the fixture's components log there (debugging aid; off by default).</summary>
public static class TestLogging
{
    public static ILoggerFactory Create()
    {
        var path = Environment.GetEnvironmentVariable("MESHWAY_TEST_LOG");
        return string.IsNullOrEmpty(path)
            ? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance
            : LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FileProvider(path)));
    }

    private sealed class FileProvider(string path) : ILoggerProvider
    {
        private readonly Lock _sync = new();

        public ILogger CreateLogger(string categoryName) => new FileLog(this, categoryName);

        public void Dispose()
        {
        }

        public void Write(string line)
        {
            lock (_sync)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }

        private sealed class FileLog(FileProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
