using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Meshway.Waypoint.Tests.Binary;

/// <summary>
/// `meshway waypoint apply|list|delete|status` through the real executable (the repository launcher): files in a
/// config directory that `meshway run` then serves, and status read back from that process's admin API.
/// </summary>
public sealed class WaypointCommandTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meshway-wpcli-" + Guid.NewGuid().ToString("N")[..10]);
    private Process? _meshway;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_meshway is { HasExited: false })
        {
            _meshway.Kill();
            await _meshway.WaitForExitAsync();
        }

        _meshway?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<(int Code, string Out, string Err)> MeshwayAsync(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepoRoot(), "meshway"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6)); // the launcher may build first
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Apply_List_Enroll_Delete_WriteAndRemoveManifests()
    {
        var apply = await MeshwayAsync("waypoint", "apply", "--config", _dir, "-n", "shop", "--for", "all", "--enroll-namespace");
        Assert.True(apply.Code == 0, apply.Err);
        var file = Path.Combine(_dir, "waypoint-shop-waypoint.yaml");
        var manifest = await File.ReadAllTextAsync(file);
        Assert.Contains("gatewayClassName: meshway-waypoint", manifest);
        Assert.Contains("{name: mesh, port: 15008, protocol: HBONE}", manifest);
        Assert.Contains("istio.io/waypoint-for: all", manifest);
        Assert.Contains("istio.io/use-waypoint: waypoint", manifest);
        Assert.True(File.Exists(Path.Combine(_dir, "meshway-waypoint-class.yaml")));

        var second = await MeshwayAsync("waypoint", "apply", "--config", _dir, "-n", "shop", "--name", "other", "--enroll-namespace");
        Assert.Equal(1, second.Code);
        Assert.Contains("already uses waypoint waypoint; use --overwrite", second.Err);
        var overwrite = await MeshwayAsync("waypoint", "apply", "--config", _dir, "-n", "shop", "--name", "other", "--enroll-namespace", "--overwrite");
        Assert.True(overwrite.Code == 0, overwrite.Err);
        Assert.Contains("istio.io/use-waypoint: other", await File.ReadAllTextAsync(Path.Combine(_dir, "waypoint-shop-other.yaml")));
        Assert.DoesNotContain("istio.io/use-waypoint", await File.ReadAllTextAsync(file));
        Assert.Contains("istio.io/waypoint-for: all", await File.ReadAllTextAsync(file));

        var list = await MeshwayAsync("waypoint", "list", "--config", _dir, "-A");
        Assert.Equal(0, list.Code);
        Assert.Contains("shop", list.Out);
        Assert.Matches(@"shop\s+waypoint\s+all\s+waypoint-shop-waypoint\.yaml", list.Out);

        var delete = await MeshwayAsync("waypoint", "delete", "--config", _dir, "-n", "shop", "waypoint", "other");
        Assert.True(delete.Code == 0, delete.Err);
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(Path.Combine(_dir, "waypoint-shop-other.yaml")));
        var again = await MeshwayAsync("waypoint", "delete", "--config", _dir, "-n", "shop", "waypoint");
        Assert.Equal(1, again.Code);

        var bad = await MeshwayAsync("waypoint", "apply", "--config", _dir, "--for", "everything");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--for must be service, workload, all or none", bad.Err);
    }

    [Fact]
    public async Task Status_ReadsTheRunningMeshwayAdminApi()
    {
        var apply = await MeshwayAsync("waypoint", "apply", "--config", _dir, "-n", "mesh", "--name", "east");
        Assert.True(apply.Code == 0, apply.Err);
        var adminPort = FreePort();
        _meshway = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepoRoot(), "meshway"), "run", "--config", _dir, "--admin-port", adminPort.ToString(), "--bind", "127.0.0.1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _meshway.OutputDataReceived += (_, _) => { };
        _meshway.ErrorDataReceived += (_, _) => { };
        _meshway.BeginOutputReadLine();
        _meshway.BeginErrorReadLine();

        (int Code, string Out, string Err) status = default;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(6))
        {
            Assert.False(_meshway.HasExited, "meshway exited");
            status = await MeshwayAsync("waypoint", "status", "-n", "mesh", "--name", "east", "--admin-port", adminPort.ToString());
            if (status.Code == 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.True(status.Code == 0, status.Err);
        Assert.Contains("waypoint mesh/east", status.Out);
        Assert.Matches(@"Accepted\s+True", status.Out);
        Assert.Contains("addresses: 127.0.0.1", status.Out);

        var missing = await MeshwayAsync("waypoint", "status", "-n", "mesh", "--name", "west", "--admin-port", adminPort.ToString());
        Assert.Equal(1, missing.Code);
        Assert.Contains("reports no waypoint mesh/west", missing.Err);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "meshway")) && File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root (with ./meshway) not found");
    }
}
