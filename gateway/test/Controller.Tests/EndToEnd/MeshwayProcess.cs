using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshway.Controller.Tests.EndToEnd;

/// <summary>
/// The real `meshway` binary, built once through the repository launcher (`./meshway version`) as a user
/// would, and run as a child process whose output is kept for failure messages. Killed on dispose.
/// </summary>
internal sealed class MeshwayProcess : IAsyncDisposable
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? _binary;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private MeshwayProcess(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>For one-shot commands: waits for the exit and returns the exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")) && File.Exists(Path.Combine(dir.FullName, "meshway")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("repository root (Gateway.sln + meshway launcher) not found above " + AppContext.BaseDirectory);
        }
    }

    public static async Task<MeshwayProcess> StartAsync(params string[] args)
    {
        var binary = await EnsureBuiltAsync();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // A developer's cluster settings must not leak into the test.
        info.Environment.Remove("KUBECONFIG");
        info.Environment.Remove("KUBERNETES_SERVICE_HOST");
        var process = Process.Start(info)!;
        var wrapper = new MeshwayProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.Append(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static async Task<string> EnsureBuiltAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (_binary is not null)
            {
                return _binary;
            }

            var root = RepoRoot;
            var build = Process.Start(new ProcessStartInfo("bash", [Path.Combine(root, "meshway"), "version"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = build.StandardOutput.ReadToEndAsync();
            var stderr = build.StandardError.ReadToEndAsync();
            await build.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            var binary = Path.Combine(root, ".build", "meshway", "meshway");
            if (build.ExitCode != 0 || !File.Exists(binary))
            {
                throw new InvalidOperationException($"`meshway version` failed ({build.ExitCode}): {await stdout}{await stderr}");
            }

            return _binary = binary;
        }
        finally
        {
            BuildGate.Release();
        }
    }
}
