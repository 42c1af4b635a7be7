using System.Security.Cryptography.X509Certificates;

namespace Meshway.Mtls.Certificates;

/// <summary>Turns an X509Chain failure into one readable line for logs and errors.</summary>
internal static class ChainStatus
{
    public static string Describe(X509Chain chain)
    {
        var parts = new List<string>();
        foreach (var status in chain.ChainStatus)
        {
            if (status.Status != X509ChainStatusFlags.NoError)
            {
                parts.Add($"{status.Status} ({status.StatusInformation.Trim()})");
            }
        }

        return parts.Count == 0 ? "unknown chain error" : string.Join("; ", parts);
    }
}
