using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Listeners;

/// <summary>
/// Routes the logs of each per-socket Kestrel host into the process's one logger factory, so every line
/// goes through the same filters and sinks. Disposing the host must not dispose the shared factory.
/// </summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName)
    {
        var logger = factory.CreateLogger(categoryName);
        return categoryName == KestrelCategory ? new WithoutH2cWarning(logger) : logger;
    }

    public void Dispose()
    {
    }

    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>
    /// Kestrel warns at startup that a plaintext Http1AndHttp2 endpoint cannot serve HTTP/2. Ours can:
    /// <see cref="H2cDetection"/> handles prior knowledge, so that one warning would only mislead.
    /// </summary>
    private sealed class WithoutH2cWarning(ILogger inner) : ILogger
    {
        private const int Http2DisabledWithoutTls = 64;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != Http2DisabledWithoutTls)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
