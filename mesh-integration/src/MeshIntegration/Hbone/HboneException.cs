namespace Meshway.MeshIntegration.Hbone;

/// <summary>Why an HBONE tunnel could not be opened or broke; an IOException so HTTP clients treat it as a connect failure.</summary>
public sealed class HboneException : IOException
{
    public HboneException(string message, HboneFailure failure, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
    }

    public HboneFailure Failure { get; }
}

/// <summary>The kinds of HBONE failure, for counters and logs.</summary>
public enum HboneFailure
{
    /// <summary>TCP connect to podIP:15008 failed.</summary>
    Connect,

    /// <summary>TLS failed, including a server whose identity is not the expected one.</summary>
    Handshake,

    /// <summary>The server did not speak HTTP/2 (ALPN) or broke the protocol.</summary>
    Protocol,

    /// <summary>The server answered the CONNECT with a non-200 status.</summary>
    Refused,

    /// <summary>The stream or connection was reset or closed.</summary>
    Reset,
}
