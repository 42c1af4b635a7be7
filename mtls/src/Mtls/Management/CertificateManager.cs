using System.Diagnostics.Metrics;
using Meshway.Mtls.Certificates;
using Meshway.Mtls.Provisioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Mtls.Management;

/// <summary>
/// Owns the workload certificate: fetches it at start, renews it at half life (± jitter), retries
/// with exponential backoff when the source fails, and keeps serving the old certificate until it
/// expires. <see cref="Current"/> is swapped atomically, so every new TLS handshake takes the newest
/// certificate while open connections finish on the one they started with.
/// </summary>
public sealed partial class CertificateManager : IAsyncDisposable
{
    /// <summary>Meter name for the state / expiry / rotation metrics.</summary>
    public const string MeterName = "Meshway.Mtls";

    private readonly IWorkloadCertificateSource _source;
    private readonly CertificateManagerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly TaskCompletionSource _firstCertificate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private WorkloadCertificate? _current;
    private Task? _loop;
    private long _rotations;
    private long _failures;
    private string? _lastError;
    private long _nextRefreshTicks; // UTC ticks; 0 = not scheduled. A long so readers never see a torn value.
    private bool _expiryReported;

    public CertificateManager(
        IWorkloadCertificateSource source,
        CertificateManagerOptions? options = null,
        ILogger<CertificateManager>? logger = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _options = options ?? new CertificateManagerOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;

        _meter = new Meter(MeterName);
        _meter.CreateObservableGauge("meshway.mtls.certificate.state", () => (int)State,
            description: "Workload certificate state: 0 Initializing, 1 Available, 2 Expired");
        _meter.CreateObservableGauge("meshway.mtls.certificate.expiry", ObserveExpiry, unit: "s",
            description: "Expiry of the current workload certificate, Unix seconds");
        _meter.CreateObservableCounter("meshway.mtls.certificate.rotations", () => Interlocked.Read(ref _rotations),
            description: "Certificates published (first one included)");
        _meter.CreateObservableCounter("meshway.mtls.certificate.fetch_failures", () => Interlocked.Read(ref _failures),
            description: "Failed attempts to obtain a certificate");
    }

    /// <summary>Raised after a new certificate is published (on the manager's loop).</summary>
    public event Action<WorkloadCertificate>? Rotated;

    /// <summary>The certificate to use for a new handshake, or null before the first one arrives.</summary>
    public WorkloadCertificate? Current => Volatile.Read(ref _current);

    public CertificateState State
    {
        get
        {
            var current = Current;
            if (current is null)
            {
                return CertificateState.Initializing;
            }

            return _time.GetUtcNow() >= current.NotAfter ? CertificateState.Expired : CertificateState.Available;
        }
    }

    /// <summary>Readiness: a certificate inside its validity window is available.</summary>
    public bool IsReady => State == CertificateState.Available;

    public DateTimeOffset? Expiry => Current?.NotAfter;

    /// <summary>This manager's meter (tests observe it without picking up other managers' values).</summary>
    internal Meter Meter => _meter;

    /// <summary>Certificates published so far (the first one counts).</summary>
    public long Rotations => Interlocked.Read(ref _rotations);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Starts the background fetch/renew loop. Call once.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the certificate manager is already started");
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Completes when the first certificate is published (readiness waits for this).</summary>
    public Task WaitUntilAvailableAsync(CancellationToken cancellationToken)
        => _firstCertificate.Task.WaitAsync(cancellationToken);

    public CertificateStatus GetStatus()
    {
        var current = Current;
        return new CertificateStatus(
            State,
            _source.Description,
            current?.Identity.ToString(),
            current?.SerialNumber,
            current?.NotBefore,
            current?.NotAfter,
            Interlocked.Read(ref _nextRefreshTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null,
            Rotations,
            Interlocked.Read(ref _failures),
            LastError);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
        _meter.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var backoff = _options.InitialBackoff;
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var previous = Current;
                var fetched = await _source.FetchAsync(previous, stopping).ConfigureAwait(false);
                backoff = _options.InitialBackoff;
                Volatile.Write(ref _lastError, null);
                delay = _source.PollInterval ?? RenewDelay(fetched);

                // Schedule before publishing, so whoever wakes on the new certificate sees its renewal time.
                SetNextRefresh(delay);
                if (!ReferenceEquals(fetched, previous))
                {
                    Publish(fetched);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Any failure, expected (CA down, rejected chain) or not, is a retry: the workload
                // must never lose its identity loop to one bad answer.
                Interlocked.Increment(ref _failures);
                var message = ex is CertificateProvisioningException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                Volatile.Write(ref _lastError, message);
                delay = Jittered(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                SetNextRefresh(delay);
                ReportFailure(message, delay);
            }

            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void SetNextRefresh(TimeSpan delay)
        => Interlocked.Exchange(ref _nextRefreshTicks, (_time.GetUtcNow() + delay).UtcTicks);

    private void Publish(WorkloadCertificate certificate)
    {
        Volatile.Write(ref _current, certificate);
        Interlocked.Increment(ref _rotations);
        _expiryReported = false;
        Log.Published(_logger, certificate.Identity.ToString(), certificate.SerialNumber, certificate.NotAfter, _source.Description);
        _firstCertificate.TrySetResult();
        try
        {
            Rotated?.Invoke(certificate);
        }
        catch (Exception ex)
        {
            Log.RotatedHandlerFailed(_logger, ex);
        }
    }

    private void ReportFailure(string message, TimeSpan retryIn)
    {
        var current = Current;
        if (current is null)
        {
            Log.FetchFailedNoCertificate(_logger, _source.Description, message, retryIn.TotalSeconds);
        }
        else if (_time.GetUtcNow() < current.NotAfter)
        {
            Log.FetchFailedKeeping(_logger, _source.Description, message, current.SerialNumber, current.NotAfter, retryIn.TotalSeconds);
        }
        else
        {
            if (!_expiryReported)
            {
                _expiryReported = true;
                Log.Expired(_logger, current.SerialNumber, current.NotAfter);
            }

            Log.FetchFailedNoCertificate(_logger, _source.Description, message, retryIn.TotalSeconds);
        }
    }

    // Half life ± jitter, measured from now so a late start (or a certificate fetched long ago)
    // still renews promptly; never negative.
    private TimeSpan RenewDelay(WorkloadCertificate certificate)
    {
        var lifetime = certificate.Lifetime;
        var jitter = (Random.Shared.NextDouble() * 2 - 1) * _options.JitterFraction;
        var renewAt = certificate.NotBefore + lifetime * (_options.RenewAtFraction + jitter);
        var delay = renewAt - _time.GetUtcNow();
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    private static TimeSpan Jittered(TimeSpan backoff)
        => backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));

    private double ObserveExpiry()
        => Current is { } current ? current.NotAfter.ToUnixTimeMilliseconds() / 1000.0 : 0;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Workload certificate for {Identity} (serial {Serial}) published, valid until {NotAfter:O}, from {Source}")]
        public static partial void Published(ILogger logger, string identity, string serial, DateTimeOffset notAfter, string source);

        [LoggerMessage(2, LogLevel.Warning, "Could not renew the workload certificate from {Source}: {Reason}; still serving serial {Serial} (valid until {NotAfter:O}); retrying in {RetrySeconds:0.###}s")]
        public static partial void FetchFailedKeeping(ILogger logger, string source, string reason, string serial, DateTimeOffset notAfter, double retrySeconds);

        [LoggerMessage(3, LogLevel.Error, "No workload certificate from {Source}: {Reason}; retrying in {RetrySeconds:0.###}s")]
        public static partial void FetchFailedNoCertificate(ILogger logger, string source, string reason, double retrySeconds);

        [LoggerMessage(4, LogLevel.Error, "Workload certificate serial {Serial} expired at {NotAfter:O}; mTLS handshakes will fail until a new one is obtained")]
        public static partial void Expired(ILogger logger, string serial, DateTimeOffset notAfter);

        [LoggerMessage(5, LogLevel.Warning, "A certificate rotation handler failed")]
        public static partial void RotatedHandlerFailed(ILogger logger, Exception exception);
    }
}
