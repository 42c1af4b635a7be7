using System.Text.RegularExpressions;

namespace Meshway.Routing.Matching;

/// <summary>
/// Regular expressions from routes must match the whole value (as Envoy's safe_regex does) and must not
/// let a hostile pattern stall a request thread: every one gets a match timeout.
/// </summary>
internal static class RegexCache
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    public static Regex CompileFullMatch(string pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            throw new ArgumentException("a regular expression must not be empty");
        }

        return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    }

    /// <summary>A regex that times out is a non-match: the request falls through to the next rule or 404.</summary>
    public static bool SafeIsMatch(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
