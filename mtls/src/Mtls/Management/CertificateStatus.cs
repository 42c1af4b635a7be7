using System.Text;
using System.Text.Json;

namespace Meshway.Mtls.Management;

/// <summary>What /status shows about the workload certificate.</summary>
public sealed record CertificateStatus(
    CertificateState State,
    string Source,
    string? Identity,
    string? SerialNumber,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    DateTimeOffset? NextRefresh,
    long Rotations,
    long Failures,
    string? LastError)
{
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes this status as one JSON object, for embedding in a larger /status document.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("state", State.ToString());
        writer.WriteString("source", Source);
        WriteOptional(writer, "identity", Identity);
        WriteOptional(writer, "serialNumber", SerialNumber);
        WriteOptional(writer, "notBefore", NotBefore?.ToString("O"));
        WriteOptional(writer, "notAfter", NotAfter?.ToString("O"));
        WriteOptional(writer, "nextRefresh", NextRefresh?.ToString("O"));
        writer.WriteNumber("rotations", Rotations);
        writer.WriteNumber("failures", Failures);
        WriteOptional(writer, "lastError", LastError);
        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
