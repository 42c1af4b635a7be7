using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Meshway.E2E.Tests.Harness;

/// <summary>
/// A child process whose stdout/stderr lines are kept (for the test output when something fails) and
/// which is always killed, with its children, on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _label;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _lineCount;

    private ChildProcess(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    /// <summary>Raised for every stdout line (used to wait for a readiness line).</summary>
    public event Action<string>? StdoutLine;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int LineCount => Volatile.Read(ref _lineCount);

    public static ChildProcess Start(string label, string fileName, IEnumerable<string> arguments, string? workingDirectory = null, Action<ChildProcess>? beforeStart = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoLayout.RepoRoot,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The gateway must not pick up a developer's launch profile or telemetry prompts.
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, label);
        beforeStart?.Invoke(child);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            child.Add("out", e.Data);
            child.StdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child.Add("err", e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Output lines from index <paramref name="from"/> on, prefixed with time and stream.</summary>
    public string Output(int from = 0)
    {
        var builder = new StringBuilder();
        var i = 0;
        foreach (var line in _lines)
        {
            if (i++ >= from)
            {
                builder.AppendLine(line);
            }
        }

        return builder.ToString();
    }

    public bool OutputContains(string text, int from = 0)
    {
        var i = 0;
        foreach (var line in _lines)
        {
            if (i++ >= from && line.Contains(text, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public string ExitDescription() => _process.HasExited ? $"{_label} exited with code {_process.ExitCode}" : $"{_label} is running (pid {_process.Id})";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Add(string stream, string line)
    {
        _lines.Enqueue($"[{_label} {stream} +{_clock.ElapsedMilliseconds}ms] {line}");
        Interlocked.Increment(ref _lineCount);
    }
}
