using Microsoft.Extensions.Logging;

namespace Meshway.DataPlane.Listeners;

/// <summary>
/// Routes the logs of each per-socket Kestrel host into the process's one logger factory, so every line
/// goes through the same filters and sinks. Disposing the host must not dispose the shared factory.
/// </summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
