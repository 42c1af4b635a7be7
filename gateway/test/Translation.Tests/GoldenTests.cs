using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Manifests;
using Meshway.Kubernetes.Models;
using Meshway.Routing.Model;

namespace Meshway.Translation.Tests;

/// <summary>
/// testdata/&lt;case&gt;/input.yaml is translated and compared with snapshot.golden.json (SnapshotJson) and
/// status.golden.json (StatusReport). Set REFRESH_GOLDEN=1 to rewrite the goldens, then review the diff:
/// each golden is an assertion about the spec.
/// </summary>
public sealed class GoldenTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(TestDataDir()).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Translate_Case_MatchesGolden(string name)
    {
        var dir = Path.Combine(TestDataDir(), name);
        var (snapshot, status) = Run(dir);

        Check(Path.Combine(dir, "snapshot.golden.json"), snapshot);
        Check(Path.Combine(dir, "status.golden.json"), status);
    }

    [Fact]
    public void Cases_AreMany()
    {
        Assert.True(Cases().Count >= 20, "expected the golden cases on disk");
    }

    internal static (string Snapshot, string Status) Run(string dir)
    {
        var input = Path.Combine(dir, "input.yaml");
        var parsed = ManifestLoader.Parse("input.yaml", File.ReadAllText(input));
        Assert.Empty(parsed.Errors);
        var result = Translator.Translate(ResourceSet.From(parsed.Objects), new TranslationOptions());
        var snapshot = SnapshotJson.Write(result.Snapshot).ToJsonString(Indented) + "\n";
        var status = result.Status.ToJson().ToJsonString(Indented) + "\n";
        return (snapshot, status);
    }

    private static void Check(string goldenPath, string actual)
    {
        if (Environment.GetEnvironmentVariable("REFRESH_GOLDEN") == "1")
        {
            File.WriteAllText(goldenPath, actual);
            return;
        }

        Assert.True(File.Exists(goldenPath), $"missing {goldenPath}; run with REFRESH_GOLDEN=1 and review it");
        var expected = File.ReadAllText(goldenPath);
        Assert.Equal(expected, actual);
    }

    internal static string TestDataDir([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "testdata");

    /// <summary>Parses a JSON text to a node (for focused assertions on a golden case's output).</summary>
    internal static JsonNode Json(string text) => JsonNode.Parse(text)!;
}
