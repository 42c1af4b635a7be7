using System.Formats.Asn1;

namespace Meshway.Mtls.Identity;

/// <summary>Reads the URI entries of a subjectAltName extension (RFC 5280 §4.2.1.6).</summary>
internal static class SubjectAltNames
{
    // GeneralName ::= CHOICE { ..., uniformResourceIdentifier [6] IA5String, ... }
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static List<string> ReadUris(byte[] extensionValue)
    {
        var uris = new List<string>(1);
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed SAN names nobody; callers treat "no URI" as "no identity".
            uris.Clear();
        }

        return uris;
    }
}
