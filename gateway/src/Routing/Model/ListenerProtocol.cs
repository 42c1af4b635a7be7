namespace Meshway.Routing.Model;

public enum ListenerProtocol
{
    Http,
    Https,
}
