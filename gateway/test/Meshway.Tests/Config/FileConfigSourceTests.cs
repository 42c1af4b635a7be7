using Meshway.Config;
using Meshway.Kubernetes.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshway.Tests.Config;

public sealed class FileConfigSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshway-files-").FullName;
    private readonly List<string> _applied = [];
    private readonly SemaphoreSlim _appliedSignal = new(0);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task Apply(IReadOnlyList<KubeObject> objects, CancellationToken _)
    {
        lock (_applied)
        {
            _applied.Add(FakeManifests.Names(objects));
        }

        _appliedSignal.Release();
        return Task.CompletedTask;
    }

    private FileConfigSource Source() =>
        new(_dir, Apply, NullLogger.Instance, TimeSpan.FromMilliseconds(15), FakeManifests.Parse);

    private async Task<string> NextApplyAsync()
    {
        Assert.True(await _appliedSignal.WaitAsync(TimeSpan.FromSeconds(5)), "no apply within 5 s");
        lock (_applied)
        {
            return _applied[^1];
        }
    }

    [Fact]
    public async Task Start_ReadsYamlAndYmlFilesInNameOrder_IgnoresOthersAndSubdirectories()
    {
        File.WriteAllText(Path.Combine(_dir, "b.yml"), "Service/b");
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), "Gateway/a\nHTTPRoute/a2");
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "Gateway/ignored");
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "sub", "c.yaml"), "Gateway/nested");

        await using var source = Source();
        await source.StartAsync(CancellationToken.None);

        Assert.Equal("Gateway/a,HTTPRoute/a2,Service/b", await NextApplyAsync());
    }

    [Fact]
    public async Task Edit_IsAppliedLive_AndABurstOfWritesCoalesces()
    {
        var file = Path.Combine(_dir, "routes.yaml");
        File.WriteAllText(file, "HTTPRoute/one");
        await using var source = Source();
        await source.StartAsync(CancellationToken.None);
        Assert.Equal("HTTPRoute/one", await NextApplyAsync());

        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(file, "HTTPRoute/one\nHTTPRoute/v" + i);
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        string last;
        do
        {
            last = await NextApplyAsync();
        }
        while (last != "HTTPRoute/one,HTTPRoute/v4" && DateTime.UtcNow < deadline);

        Assert.Equal("HTTPRoute/one,HTTPRoute/v4", last);
        await Task.Delay(200);
        lock (_applied)
        {
            // One initial apply plus far fewer than one per write (the debounce merges the burst).
            Assert.InRange(_applied.Count, 2, 4);
        }
    }

    [Fact]
    public async Task BrokenFile_KeepsItsLastGoodObjects_OtherFilesStillUpdate_DeletedFileDropsObjects()
    {
        var routes = Path.Combine(_dir, "routes.yaml");
        var services = Path.Combine(_dir, "services.yaml");
        File.WriteAllText(routes, "HTTPRoute/r1\nHTTPRoute/r2");
        File.WriteAllText(services, "Service/s1");
        await using var source = Source();
        await source.StartAsync(CancellationToken.None);
        Assert.Equal("HTTPRoute/r1,HTTPRoute/r2,Service/s1", await NextApplyAsync());

        // A half-written edit: fewer objects and an error -> the file's previous objects stay.
        File.WriteAllText(routes, "HTTPRoute/r1\n!mapping values are not allowed here (line 2)");
        File.WriteAllText(services, "Service/s1\nService/s2");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string last;
        do
        {
            last = await NextApplyAsync();
        }
        while (last != "HTTPRoute/r1,HTTPRoute/r2,Service/s1,Service/s2" && DateTime.UtcNow < deadline);
        Assert.Equal("HTTPRoute/r1,HTTPRoute/r2,Service/s1,Service/s2", last);

        // A file with an error that lost nothing (e.g. an unknown kind) is taken as it is.
        File.WriteAllText(routes, "HTTPRoute/r1\nHTTPRoute/r2\nHTTPRoute/r3\n!unknown kind Foo");
        Assert.Equal("HTTPRoute/r1,HTTPRoute/r2,HTTPRoute/r3,Service/s1,Service/s2", await WaitForAsync(s => s.Contains("r3")));

        File.Delete(routes);
        Assert.Equal("Service/s1,Service/s2", await WaitForAsync(s => !s.Contains("HTTPRoute")));
    }

    [Fact]
    public async Task InPlaceRewrite_NeverAppliesTheMomentarilyEmptyFile_ButARealEmptyingIsApplied()
    {
        var file = Path.Combine(_dir, "routes.yaml");
        File.WriteAllText(file, "HTTPRoute/r1");
        await using var source = Source();
        await source.StartAsync(CancellationToken.None);
        Assert.Equal("HTTPRoute/r1", await NextApplyAsync());

        // Truncate, pause (as a slow writer on a busy machine would), then write the new content.
        File.WriteAllText(file, "");
        await Task.Delay(120);
        File.WriteAllText(file, "HTTPRoute/r2");
        Assert.Equal("HTTPRoute/r2", await WaitForAsync(s => s.Contains("r2")));
        lock (_applied)
        {
            Assert.True(!_applied.Contains(""), "applied: " + string.Join(" | ", _applied.Select(a => "[" + a + "]")));
        }

        // A file that stays empty really is emptied, once it has settled.
        File.WriteAllText(file, "");
        Assert.Equal("", await WaitForAsync(s => s.Length == 0));
    }

    [Fact]
    public async Task ApplyThatThrows_DoesNotStopTheWatcher()
    {
        var calls = 0;
        var file = Path.Combine(_dir, "x.yaml");
        File.WriteAllText(file, "Gateway/g1");
        await using var source = new FileConfigSource(_dir, (objects, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                throw new InvalidOperationException("boom");
            }

            return Apply(objects, ct);
        }, NullLogger.Instance, TimeSpan.FromMilliseconds(15), FakeManifests.Parse);
        await source.StartAsync(CancellationToken.None);
        Assert.Equal("Gateway/g1", await NextApplyAsync());

        File.WriteAllText(file, "Gateway/g2");
        await Task.Delay(300); // the second apply throws
        File.WriteAllText(file, "Gateway/g3");

        Assert.Equal("Gateway/g3", await WaitForAsync(s => s == "Gateway/g3"));
    }

    private async Task<string> WaitForAsync(Func<string, bool> predicate)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var last = await NextApplyAsync();
            if (predicate(last))
            {
                return last;
            }
        }

        throw new TimeoutException("expected config was not applied");
    }
}
