using System.Globalization;

namespace Meshway.Translation.Routes;

/// <summary>
/// The Gateway API duration format (GEP-2257): one to four "number unit" parts, each number of at most five
/// digits, units h, m, s, ms; e.g. "1h", "500ms", "1h2m3s". No sign, no fractions, no spaces.
/// </summary>
internal static class GatewayDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var i = 0;
        var parts = 0;
        long milliseconds = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 5 || ++parts > 4)
            {
                return false;
            }

            var number = long.Parse(text.AsSpan(start, digits), NumberStyles.None, CultureInfo.InvariantCulture);
            if (i + 1 < text.Length && text[i] == 'm' && text[i + 1] == 's')
            {
                milliseconds += number;
                i += 2;
                continue;
            }

            if (i >= text.Length)
            {
                return false;
            }

            milliseconds += text[i] switch
            {
                'h' => number * 3_600_000,
                'm' => number * 60_000,
                's' => number * 1_000,
                _ => -1,
            };
            if (text[i] is not ('h' or 'm' or 's'))
            {
                return false;
            }

            i++;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }
}
