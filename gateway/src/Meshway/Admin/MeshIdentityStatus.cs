using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshway.Mtls.Management;

namespace Meshway.Admin;

/// <summary>
/// The mesh certificate manager's state for the admin API: identity, source, validity, when it was last
/// renewed (a new certificate published), rotations, failures and the last error. Shown under
/// "meshIdentity" in /status and as meshway_mesh_certificate_* series on /metrics, so an operator sees a
/// waypoint about to lose its identity before handshakes start failing.
/// </summary>
internal sealed class MeshIdentityStatus
{
    private readonly CertificateManager _certificates;
    private long _lastRenewalTicks;

    /// <summary>Subscribe before the manager starts, so the first certificate counts as a renewal too.</summary>
    public MeshIdentityStatus(CertificateManager certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        _certificates = certificates;
        certificates.Rotated += _ => Interlocked.Exchange(ref _lastRenewalTicks, DateTimeOffset.UtcNow.UtcTicks);
    }

    public DateTimeOffset? LastRenewal =>
        Interlocked.Read(ref _lastRenewalTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>The /status document (a Kubernetes List) with a "meshIdentity" object added next to its items.</summary>
    public string AddTo(string statusJson)
    {
        using var document = JsonDocument.Parse(statusJson);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }

            writer.WritePropertyName("meshIdentity");
            using var own = JsonDocument.Parse(ToJson());
            own.RootElement.WriteTo(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToJson()
    {
        var status = _certificates.GetStatus();
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("state", status.State.ToString());
            writer.WriteString("source", status.Source);
            Optional(writer, "identity", status.Identity);
            Optional(writer, "serialNumber", status.SerialNumber);
            Optional(writer, "notBefore", status.NotBefore?.ToString("O"));
            Optional(writer, "notAfter", status.NotAfter?.ToString("O"));
            Optional(writer, "lastRenewal", LastRenewal?.ToString("O"));
            Optional(writer, "nextRefresh", status.NextRefresh?.ToString("O"));
            writer.WriteNumber("rotations", status.Rotations);
            writer.WriteNumber("failures", status.Failures);
            Optional(writer, "lastError", status.LastError);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Prometheus text (format 0.0.4) for the mesh certificate, appended to the gateway's own series.</summary>
    public string WritePrometheus()
    {
        var status = _certificates.GetStatus();
        var text = new StringBuilder();
        var identity = Escape(status.Identity ?? "");
        Gauge(text, "meshway_mesh_certificate_ready", "1 when a valid mesh certificate is being served",
            $"{{identity=\"{identity}\"}}", status.State == CertificateState.Available ? 1 : 0);
        Gauge(text, "meshway_mesh_certificate_expiry_timestamp_seconds", "notAfter of the served mesh certificate (Unix seconds)",
            $"{{identity=\"{identity}\"}}", status.NotAfter?.ToUnixTimeSeconds() ?? 0);
        Gauge(text, "meshway_mesh_certificate_last_renewal_timestamp_seconds", "when the last mesh certificate was published (Unix seconds)",
            $"{{identity=\"{identity}\"}}", LastRenewal?.ToUnixTimeSeconds() ?? 0);
        Counter(text, "meshway_mesh_certificate_rotations_total", "mesh certificates published after the first", status.Rotations);
        Counter(text, "meshway_mesh_certificate_failures_total", "failed mesh certificate fetches or renewals", status.Failures);
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, string labels, long value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" gauge\n")
            .Append(name).Append(labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" counter\n")
            .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static void Optional(Utf8JsonWriter writer, string name, string? value)
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
