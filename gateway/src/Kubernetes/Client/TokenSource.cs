namespace Meshway.Kubernetes.Client;

/// <summary>
/// A bearer token, fixed or read from a file. Projected service-account tokens are rotated by the kubelet
/// (the file is replaced, about hourly), so a file token is read again whenever the file's modification time
/// changes, and at least every minute in case the time stays the same.
/// </summary>
public sealed class TokenSource
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private readonly string? _fixed;
    private readonly string? _path;
    private readonly Lock _lock = new();
    private string? _cached;
    private DateTime _cachedWriteTime;
    private DateTime _cachedAt;

    private TokenSource(string? fixedToken, string? path)
    {
        _fixed = fixedToken;
        _path = path;
    }

    public static TokenSource Fixed(string token) => new(token, null);

    public static TokenSource FromFile(string path) => new(null, path);

    /// <summary>The file the token is read from, if any.</summary>
    public string? Path => _path;

    /// <summary>The current token. Throws <see cref="KubeConfigException"/> when a token file cannot be read.</summary>
    public string GetToken()
    {
        if (_fixed is not null)
        {
            return _fixed;
        }

        lock (_lock)
        {
            var now = DateTime.UtcNow;
            DateTime writeTime;
            try
            {
                writeTime = File.GetLastWriteTimeUtc(_path!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                writeTime = default;
            }

            if (_cached is not null && writeTime == _cachedWriteTime && now - _cachedAt < MaxAge)
            {
                return _cached;
            }

            try
            {
                _cached = File.ReadAllText(_path!).Trim();
                _cachedWriteTime = writeTime;
                _cachedAt = now;
                return _cached;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A rotation in progress can briefly hide the file: the previous token is still valid for a while.
                if (_cached is not null)
                {
                    return _cached;
                }

                throw new KubeConfigException($"cannot read the token file {_path}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Forgets the cached token so the next request reads the file again (after a 401).</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _cached = null;
        }
    }
}
