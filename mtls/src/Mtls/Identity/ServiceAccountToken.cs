using System.Text;
using System.Text.Json;

namespace Meshway.Mtls.Identity;

/// <summary>
/// The projected service-account token (audience <c>istio-ca</c>) sent to the mesh CA. It is read
/// from disk on every call because the kubelet rotates it in place.
/// </summary>
public static class ServiceAccountToken
{
    /// <summary>Where Istio mounts the projected token in workload pods.</summary>
    public const string DefaultPath = "/var/run/secrets/tokens/istio-token";

    /// <summary>Reads the token, failing with a message that says which file and why.</summary>
    public static string Read(string path)
    {
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateProvisioningException(
                $"token file '{path}' does not exist: mount a projected service-account token with audience 'istio-ca' there or pass --token-file");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateProvisioningException($"token file '{path}' cannot be read: {ex.Message}");
        }

        if (token.Length == 0)
        {
            throw new CertificateProvisioningException($"token file '{path}' is empty");
        }

        return token;
    }

    /// <summary>
    /// The identity istiod will sign for, taken from the token's <c>sub</c> claim
    /// (<c>system:serviceaccount:&lt;ns&gt;:&lt;sa&gt;</c>). The token is not verified here: the CA does
    /// that with a TokenReview; we only need to know which SPIFFE ID to expect back.
    /// </summary>
    public static bool TryGetIdentity(string token, string trustDomain, out SpiffeId identity)
    {
        identity = default;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            var payload = DecodeBase64Url(parts[1]);
            using var json = JsonDocument.Parse(payload);
            if (!json.RootElement.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            var fields = sub.GetString()!.Split(':');
            if (fields.Length != 4 || fields[0] != "system" || fields[1] != "serviceaccount")
            {
                return false;
            }

            return SpiffeId.TryParse($"spiffe://{trustDomain}/ns/{fields[2]}/sa/{fields[3]}", out identity);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private static byte[] DecodeBase64Url(string value)
    {
        var s = new StringBuilder(value.Length + 3).Append(value).Replace('-', '+').Replace('_', '/');
        while (s.Length % 4 != 0)
        {
            s.Append('=');
        }

        return Convert.FromBase64String(s.ToString());
    }
}
