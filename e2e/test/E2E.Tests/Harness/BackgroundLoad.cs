using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// Sends requests back to back to one route while something else changes (reloads, churn), keeping every
/// reply that was not the expected one. Bounded: it stops when disposed, at <see cref="MaxDuration"/> or
/// after <see cref="MaxRequests"/>.
/// </summary>
public sealed class BackgroundLoad : IAsyncDisposable
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(60);
    public const int MaxRequests = 200_000;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<Reply> _replies = new();
    private readonly bool _keepReplies;
    private readonly bool _newConnections;
    private int _sent;

    private BackgroundLoad(GatewayClient client, string host, int port, string path, bool keepReplies, bool newConnections)
    {
        _keepReplies = keepReplies;
        _newConnections = newConnections;
        _loop = Task.Run(() => RunAsync(client, host, port, path));
    }

    public int Sent => Volatile.Read(ref _sent);

    public IReadOnlyCollection<string> Failures => _failures;

    public IReadOnlyCollection<Reply> Replies => _replies;

    /// <summary>
    /// Starts the loop. <paramref name="newConnections"/> sends "Connection: close" so every request opens
    /// a new connection (what a reload must not break either: the accepting socket).
    /// </summary>
    public static BackgroundLoad Start(GatewayClient client, string host, int port, string path, bool keepReplies = false, bool newConnections = false) =>
        new(client, host, port, path, keepReplies, newConnections);

    /// <summary>Waits until at least <paramref name="count"/> requests went out (so the loop is known to be running).</summary>
    public async Task WaitForAsync(int count)
    {
        var clock = Stopwatch.StartNew();
        while (Sent < count && clock.Elapsed < TimeSpan.FromSeconds(10) && !_loop.IsCompleted)
        {
            await Task.Delay(10);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(GatewayClient client, string host, int port, string path)
    {
        var clock = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested && clock.Elapsed < MaxDuration && _sent < MaxRequests)
        {
            try
            {
                var reply = await client.SendAsync(host, port, path, headers: _newConnections ? [("Connection", "close")] : null);
                Interlocked.Increment(ref _sent);
                if (_keepReplies)
                {
                    _replies.Enqueue(reply);
                }

                if (reply.Status != 200 && _failures.Count < 50)
                {
                    _failures.Enqueue($"+{clock.ElapsedMilliseconds}ms {reply}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Interlocked.Increment(ref _sent);
                if (_failures.Count < 50)
                {
                    _failures.Enqueue($"+{clock.ElapsedMilliseconds}ms {e.GetType().Name}: {e.Message}");
                }
            }
        }
    }
}
