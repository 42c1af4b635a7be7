using System.Text;

namespace Meshway.Mtls.Tests.Infrastructure;

/// <summary>Service-account-token-shaped JWTs (unsigned: the test CA only reads the subject, like a TokenReview result).</summary>
public static class TestTokens
{
    public static string For(string ns, string serviceAccount)
    {
        var header = Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        var payload = Base64Url($"{{\"aud\":[\"istio-ca\"],\"sub\":\"system:serviceaccount:{ns}:{serviceAccount}\"}}");
        return $"{header}.{payload}.c2lnbmF0dXJl";
    }

    public static string WriteFile(string directory, string ns, string serviceAccount)
    {
        var path = Path.Combine(directory, $"token-{ns}-{serviceAccount}");
        File.WriteAllText(path, For(ns, serviceAccount));
        return path;
    }

    private static string Base64Url(string json)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
