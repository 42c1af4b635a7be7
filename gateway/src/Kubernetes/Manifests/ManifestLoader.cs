using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshway.Kubernetes.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Meshway.Kubernetes.Manifests;

/// <summary>The objects of one manifest file and what was wrong with it (one message per bad document).</summary>
public sealed record ManifestParseResult(IReadOnlyList<KubeObject> Objects, IReadOnlyList<string> Errors);

/// <summary>
/// Reads a multi-document YAML file into typed objects the way kubectl does: the file is split on "---"
/// lines first, so one broken document costs only itself; each document goes YAML -> JSON -> typed model
/// (chosen by apiVersion and kind). Never throws: every bad document yields one error naming the file,
/// the document (1-based) and the cause.
/// </summary>
public static class ManifestLoader
{
    /// <summary>Deeper nesting than any real manifest; guards against hostile input (and alias bombs).</summary>
    private const int MaxDepth = 64;

    /// <summary>Aliases can make a small file expand into billions of nodes; no manifest needs more than this.</summary>
    private const int MaxNodes = 200_000;

    public static ManifestParseResult Parse(string fileName, string yaml)
    {
        var objects = new List<KubeObject>();
        var errors = new List<string>();
        var index = 0;
        foreach (var (text, firstLine) in SplitDocuments(yaml ?? ""))
        {
            index++;
            var (obj, error) = ParseDocument(text, firstLine);
            if (error is not null)
            {
                errors.Add($"{fileName}: document {index}: {error}");
            }
            else if (obj is not null)
            {
                objects.Add(obj);
            }
        }

        return new ManifestParseResult(objects, errors);
    }

    /// <summary>Splits on lines that start a new document ("---", optionally followed by content); lines are 1-based.</summary>
    internal static IEnumerable<(string Text, int FirstLine)> SplitDocuments(string yaml)
    {
        var current = new StringBuilder();
        var firstLine = 1;
        var lineNumber = 0;
        using var reader = new StringReader(yaml);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || line[3] is ' ' or '\t'))
            {
                yield return (current.ToString(), firstLine);
                current.Clear();
                firstLine = lineNumber;
                // "--- key: value" starts the next document on the marker line itself; keep the columns aligned.
                current.Append(' ', 3).Append(line.AsSpan(3)).Append('\n');
                continue;
            }

            if (line == "...")
            {
                continue;
            }

            current.Append(line).Append('\n');
        }

        yield return (current.ToString(), firstLine);
    }

    private static (KubeObject? Object, string? Error) ParseDocument(string text, int firstLine)
    {
        JsonNode? json;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0)
            {
                return (null, null);
            }

            if (stream.Documents.Count > 1)
            {
                return (null, "more than one YAML document without a '---' separator line");
            }

            var budget = MaxNodes;
            var (node, error) = ToJson(stream.Documents[0].RootNode, 0, ref budget);
            if (error is not null)
            {
                return (null, error);
            }

            json = node;
        }
        catch (YamlException e)
        {
            // Line numbers relative to the document; report them against the file.
            var line = e.Start.Line + firstLine - 1;
            return (null, $"malformed YAML at line {line}, column {e.Start.Column}: {FirstLine(e.Message)}");
        }
        catch (ArgumentException e)
        {
            // YamlDotNet reports a duplicate mapping key this way.
            return (null, "malformed YAML: " + FirstLine(e.Message));
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's representation model gives up this way on some broken streams (found by fuzzing).
            return (null, "malformed YAML: " + FirstLine(e.Message));
        }

        if (json is null)
        {
            return (null, null); // an empty document, or one holding only comments
        }

        if (json is not JsonObject root)
        {
            return (null, "a Kubernetes object must be a mapping, found " + json.GetValueKind().ToString().ToLowerInvariant());
        }

        var apiVersion = root["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var a) ? a : null;
        var kind = root["kind"] is JsonValue k && k.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            return (null, "missing apiVersion or kind" + (kind is { Length: > 0 } ? $" (kind {kind})" : ""));
        }

        var typeInfo = KubeKinds.TypeInfoFor(apiVersion, kind);
        if (typeInfo is null)
        {
            return (null, $"unsupported kind {kind} (apiVersion {apiVersion}); document ignored");
        }

        KubeObject? obj;
        try
        {
            obj = root.Deserialize(typeInfo) as KubeObject;
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            // System.Text.Json appends " Path: ... | LineNumber: ..." about the intermediate JSON: noise to a YAML author.
            var message = FirstLine(e.Message);
            var noise = message.IndexOf(" Path: ", StringComparison.Ordinal);
            return (null, $"{kind}: invalid field type{path}: {(noise > 0 ? message[..noise] : message)}");
        }
        catch (InvalidOperationException e)
        {
            return (null, $"{kind}: {FirstLine(e.Message)}");
        }

        if (obj is null)
        {
            return (null, $"{kind}: empty object");
        }

        if (string.IsNullOrEmpty(obj.Metadata.Name))
        {
            return (null, $"{kind}: metadata.name is required");
        }

        // Defaults an API server would have filled in.
        obj.Metadata.Generation ??= 1;
        if (obj.IsNamespaced && string.IsNullOrEmpty(obj.Metadata.Namespace))
        {
            obj.Metadata.Namespace = "default";
        }

        return (obj, null);
    }

    private static (JsonNode? Node, string? Error) ToJson(YamlNode node, int depth, ref int budget)
    {
        if (--budget < 0)
        {
            return (null, $"malformed YAML: more than {MaxNodes} nodes (alias expansion?)");
        }

        if (depth > MaxDepth)
        {
            return (null, $"malformed YAML at line {node.Start.Line}: nesting deeper than {MaxDepth} levels");
        }

        switch (node)
        {
            case YamlScalarNode scalar:
                return (Scalar(scalar), null);
            case YamlSequenceNode sequence:
            {
                var array = new JsonArray();
                foreach (var child in sequence.Children)
                {
                    var (value, error) = ToJson(child, depth + 1, ref budget);
                    if (error is not null)
                    {
                        return (null, error);
                    }

                    array.Add(value);
                }

                return (array, null);
            }

            case YamlMappingNode mapping:
            {
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        return (null, $"malformed YAML at line {keyNode.Start.Line}, column {keyNode.Start.Column}: mapping keys must be scalars");
                    }

                    var (value, error) = ToJson(valueNode, depth + 1, ref budget);
                    if (error is not null)
                    {
                        return (null, error);
                    }

                    obj[key] = value;
                }

                return (obj, null);
            }

            default:
                return (null, $"malformed YAML at line {node.Start.Line}: unsupported node");
        }
    }

    /// <summary>
    /// YAML 1.2 core-schema typing: a plain (unquoted, untagged) scalar that reads as null, a bool, an integer
    /// or a float becomes that JSON type; anything quoted or tagged !!str stays a string.
    /// </summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(value);
        }

        if (scalar.Style != ScalarStyle.Plain && tag is null)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (LooksLikeInteger(value))
        {
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                return JsonValue.Create(number);
            }

            // Larger than a long: still a number to YAML; a decimal keeps its digits.
            if (decimal.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            {
                return JsonValue.Create(big);
            }
        }

        if (value.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (LooksLikeFloat(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
            && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(value);
    }

    private static bool LooksLikeInteger(string value)
    {
        var start = value[0] is '-' or '+' ? 1 : 0;
        if (start == value.Length)
        {
            return false;
        }

        for (var i = start; i < value.Length; i++)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    private static bool LooksLikeFloat(string value)
    {
        var i = value[0] is '-' or '+' ? 1 : 0;
        var digits = 0;
        while (i < value.Length && char.IsAsciiDigit(value[i]))
        {
            i++;
            digits++;
        }

        if (i < value.Length && value[i] == '.')
        {
            i++;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < value.Length && value[i] is 'e' or 'E')
        {
            i++;
            if (i < value.Length && value[i] is '-' or '+')
            {
                i++;
            }

            var exponent = 0;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
                exponent++;
            }

            if (exponent == 0)
            {
                return false;
            }
        }

        return i == value.Length;
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n');
        return newline < 0 ? message : message[..newline].TrimEnd();
    }
}
