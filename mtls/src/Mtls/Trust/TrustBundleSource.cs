using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Mtls.Trust;

/// <summary>
/// The current mesh trust bundle, swapped atomically when it changes. Fed from a file (the
/// <c>istio-ca-root-cert</c> ConfigMap mounted as <c>root-cert.pem</c>, or a cert dir) that is
/// polled for changes, or pushed with <see cref="Update"/> by whoever watches the ConfigMap.
/// Readers (every handshake) take <see cref="Current"/> once; a bad new file keeps the last good bundle.
/// </summary>
public sealed partial class TrustBundleSource : IDisposable
{
    /// <summary>Istio's conventional mount of the mesh root.</summary>
    public const string DefaultRootPath = "/var/run/secrets/istio/root-cert.pem";

    private readonly string? _path;
    private readonly ILogger _logger;
    private readonly ITimer? _timer;
    private readonly Lock _reloadLock = new();
    private TrustBundle _current;
    private string? _lastText;

    private TrustBundleSource(TrustBundle initial, string? path, TimeSpan pollInterval, ILogger? logger, TimeProvider? time)
    {
        _current = initial;
        _lastText = initial.Pem;
        _path = path;
        _logger = logger ?? NullLogger.Instance;
        if (path is not null && pollInterval > TimeSpan.Zero)
        {
            // Polling rather than FileSystemWatcher: ConfigMap mounts change by swapping a symlinked
            // directory, which inotify on the file itself does not report.
            _timer = (time ?? TimeProvider.System).CreateTimer(_ => Reload(), null, pollInterval, pollInterval);
        }
    }

    /// <summary>Raised after a new bundle is published.</summary>
    public event Action<TrustBundle>? Changed;

    public TrustBundle Current => Volatile.Read(ref _current);

    /// <summary>A bundle that never changes (dev CA, tests).</summary>
    public static TrustBundleSource FromBundle(TrustBundle bundle)
        => new(bundle ?? throw new ArgumentNullException(nameof(bundle)), null, TimeSpan.Zero, null, null);

    /// <summary>
    /// Loads the bundle from <paramref name="path"/> now (failing if it is missing or empty) and
    /// re-reads it every <paramref name="pollInterval"/>.
    /// </summary>
    /// <exception cref="CertificateProvisioningException">The file is missing or holds no certificate.</exception>
    public static TrustBundleSource FromFile(string path, TimeSpan pollInterval, ILogger? logger = null, TimeProvider? time = null)
    {
        var initial = TrustBundle.FromPem(ReadFile(path), $"'{path}'");
        return new TrustBundleSource(initial, path, pollInterval, logger, time);
    }

    /// <summary>Publishes a bundle received from elsewhere (e.g. a ConfigMap watch). Bad text keeps the old bundle.</summary>
    public bool Update(string pem, string origin)
    {
        lock (_reloadLock)
        {
            if (pem == _lastText)
            {
                return false;
            }

            TrustBundle bundle;
            try
            {
                bundle = TrustBundle.FromPem(pem, origin);
            }
            catch (CertificateProvisioningException ex)
            {
                Log.BundleRejected(_logger, origin, ex.Message);
                _lastText = pem; // report a bad version once, not on every poll
                return false;
            }

            _lastText = pem;
            Volatile.Write(ref _current, bundle);
            Log.BundleChanged(_logger, origin, bundle.Roots.Count);
        }

        Changed?.Invoke(Current);
        return true;
    }

    /// <summary>Re-reads the file now (also what the poll timer does).</summary>
    public bool Reload()
    {
        if (_path is null)
        {
            return false;
        }

        string text;
        try
        {
            text = ReadFile(_path);
        }
        catch (CertificateProvisioningException ex)
        {
            Log.BundleRejected(_logger, $"'{_path}'", ex.Message);
            return false;
        }

        return Update(text, $"'{_path}'");
    }

    public void Dispose() => _timer?.Dispose();

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateProvisioningException($"mesh root file '{path}' does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateProvisioningException($"mesh root file '{path}' cannot be read: {ex.Message}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Mesh trust bundle from {Origin} changed: {Count} root(s)")]
        public static partial void BundleChanged(ILogger logger, string origin, int count);

        [LoggerMessage(2, LogLevel.Warning, "Ignoring new mesh trust bundle from {Origin}, keeping the previous one: {Reason}")]
        public static partial void BundleRejected(ILogger logger, string origin, string reason);
    }
}
