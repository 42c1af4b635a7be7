using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Listeners;

/// <summary>
/// Client certificate checks of an HTTPS listener with spec.tls.frontend validation (GEP-91). The platform
/// chain (built against the machine's roots) is not what the Gateway was told to trust, so the chain is
/// rebuilt with the configured CAs as the only roots. AllowValidOnly refuses the handshake when the client
/// sends no certificate or one that does not chain; AllowInsecureFallback asks for one but lets every
/// client in, leaving authorisation to the backend.
/// </summary>
internal static class ClientCertificateValidator
{
    /// <summary>id-kp-clientAuth: a certificate restricted to other uses (e.g. serverAuth only) is refused.</summary>
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>Sets the handshake options for <paramref name="validation"/>: ask for a certificate, and the callback that judges it.</summary>
    public static void Configure(SslServerAuthenticationOptions options, ClientValidationModel validation)
    {
        options.ClientCertificateRequired = true;
        options.RemoteCertificateValidationCallback = validation.AllowInsecureFallback
            ? static (_, _, _, _) => true
            : (_, certificate, chain, _) => IsValid(validation, certificate, chain);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of the configured CAs and may be used for client auth.</summary>
    internal static bool IsValid(ClientValidationModel validation, X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is null || validation.CaCertificates.IsEmpty)
        {
            return false;
        }

        using var leaf = certificate as X509Certificate2 is { } c2 ? new X509Certificate2(c2) : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        foreach (var ca in validation.CaCertificates)
        {
            chain.ChainPolicy.CustomTrustStore.Add(ca);
        }

        // Intermediates the client sent along with its leaf.
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        try
        {
            return chain.Build(leaf);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
