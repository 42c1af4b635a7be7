using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace Meshway.Config;

/// <summary>
/// The manifests of one directory, file by file, with the last good parse of each. Re-reading only reparses
/// files whose text changed. A file that now fails to parse (a half-saved edit, a YAML syntax error) keeps
/// the objects of its last good parse when the new parse lost objects; a deleted file drops its objects.
/// A file that suddenly reads empty is most often being rewritten in place (truncate, then write): it keeps
/// its objects until it has stayed empty for <see cref="EmptySettleTime"/>, so an in-place save never
/// removes routes for a moment.
/// </summary>
internal sealed partial class ManifestFiles(
    string directory,
    ILogger logger,
    Func<string, string, ManifestParseResult>? parse = null,
    TimeProvider? time = null)
{
    /// <summary>How long a file that had objects must stay empty before its objects are dropped.</summary>
    public static readonly TimeSpan EmptySettleTime = TimeSpan.FromMilliseconds(300);

    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _emptySince = new(StringComparer.Ordinal);
    private readonly Func<string, string, ManifestParseResult> _parse = parse ?? ManifestLoader.Parse;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Directory { get; } = directory;

    /// <summary>Set by <see cref="ReadAsync"/> when a file is waiting to settle: read again after <see cref="EmptySettleTime"/>.</summary>
    public bool RecheckNeeded { get; private set; }

    /// <summary>
    /// Reads the directory (*.yaml and *.yml, not recursive). Returns every object in file-name order and
    /// whether anything differs from the previous read.
    /// </summary>
    public async Task<(IReadOnlyList<KubeObject> Objects, bool Changed)> ReadAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        RecheckNeeded = false;
        string[] paths;
        try
        {
            paths = System.IO.Directory.EnumerateFiles(Directory)
                .Where(p => p.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The directory itself vanished or became unreadable: keep serving what we have.
            LogDirectoryUnreadable(logger, Directory, ex.Message);
            return (_files.Values.SelectMany(f => f.Objects).ToArray(), false);
        }

        var present = new HashSet<string>(paths, StringComparer.Ordinal);
        foreach (var gone in _files.Keys.Where(k => !present.Contains(k)).ToArray())
        {
            LogFileRemoved(logger, Path.GetFileName(gone), _files[gone].Objects.Count);
            _files.Remove(gone);
            changed = true;
        }

        foreach (var path in paths)
        {
            var content = await ReadBytesAsync(path, cancellationToken);
            if (content is null)
            {
                continue; // unreadable right now (or deleted since listing): keep the previous state, if any
            }

            _files.TryGetValue(path, out var previous);
            if (previous is not null && content.AsSpan().SequenceEqual(previous.Content))
            {
                continue;
            }

            // Decoded only when the bytes changed (File.ReadAllText's decoding: BOM-aware, UTF-8 by default).
            var text = Decode(content);

            if (IsSettlingEmpty(path, text, previous))
            {
                RecheckNeeded = true;
                continue;
            }

            var next = Parse(path, content, text, previous);
            _files[path] = next;
            changed |= previous is null || !ReferenceEquals(previous.Objects, next.Objects);
        }

        var objects = new List<KubeObject>();
        foreach (var path in paths)
        {
            if (_files.TryGetValue(path, out var state))
            {
                objects.AddRange(state.Objects);
            }
        }

        return (objects, changed);
    }

    private bool IsSettlingEmpty(string path, string text, FileState? previous)
    {
        if (!string.IsNullOrWhiteSpace(text) || previous is null || previous.Objects.Count == 0)
        {
            _emptySince.Remove(path);
            return false;
        }

        var now = _time.GetTimestamp();
        if (!_emptySince.TryGetValue(path, out var since))
        {
            _emptySince[path] = now;
            return true;
        }

        if (_time.GetElapsedTime(since, now) < EmptySettleTime)
        {
            return true;
        }

        _emptySince.Remove(path);
        return false;
    }

    private FileState Parse(string path, byte[] content, string text, FileState? previous)
    {
        var name = Path.GetFileName(path);
        ManifestParseResult result;
        try
        {
            result = _parse(name, text);
        }
        catch (Exception ex)
        {
            // The loader promises not to throw; if it does, treat it as an unparseable file.
            result = new ManifestParseResult([], ["loader failed: " + ex.Message]);
        }

        foreach (var error in result.Errors)
        {
            // The loader usually names the file itself; do not say it twice.
            if (error.StartsWith(name + ":", StringComparison.Ordinal))
            {
                LogParseErrorNamed(logger, error);
            }
            else
            {
                LogParseError(logger, name, error);
            }
        }

        if (result.Errors.Count > 0 && previous is not null && result.Objects.Count < previous.Objects.Count)
        {
            LogKeptPrevious(logger, name, previous.Objects.Count);
            return new FileState(content, previous.Objects);
        }

        LogFileParsed(logger, name, result.Objects.Count, result.Errors.Count);
        return new FileState(content, result.Objects);
    }

    private static string Decode(byte[] content)
    {
        using var reader = new StreamReader(new MemoryStream(content), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The file's bytes, read in one synchronous call: this runs on the config worker, and an async read of a
    /// multi-megabyte file in 4 KiB steps cost more than translating it. Keeping bytes (not text) for the
    /// unchanged-check also halves what an idle gateway holds per file.
    /// </summary>
    private static async Task<byte[]?> ReadBytesAsync(string path, CancellationToken cancellationToken)
    {
        // Editors and `cp` may hold the file briefly; a few quick retries ride over that.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return File.ReadAllBytes(path);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < 3)
            {
                await Task.Delay(10, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    private sealed record FileState(byte[] Content, IReadOnlyList<KubeObject> Objects);

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "{File}: {Error}")]
    private static partial void LogParseError(ILogger logger, string file, string error);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogParseErrorNamed(ILogger logger, string error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "{File}: keeping the {Count} objects of its last good parse until it parses again")]
    private static partial void LogKeptPrevious(ILogger logger, string file, int count);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "{File}: removed; its {Count} objects are dropped")]
    private static partial void LogFileRemoved(ILogger logger, string file, int count);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "{File}: {Count} objects, {Errors} errors")]
    private static partial void LogFileParsed(ILogger logger, string file, int count, int errors);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Cannot read config directory {Directory}: {Reason}; the last good config keeps serving")]
    private static partial void LogDirectoryUnreadable(ILogger logger, string directory, string reason);
}
