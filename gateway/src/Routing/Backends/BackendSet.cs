using System.Collections.Immutable;

namespace Meshway.Routing.Backends;

/// <summary>
/// The weighted backends of a rule. Backends of weight 0 never receive traffic; a rule whose backends are
/// all of weight 0, or that has none, answers 500 (<see cref="Pick"/> returns null).
/// </summary>
public sealed class BackendSet
{
    private readonly BackendModel[] _backends;
    private readonly long[] _cumulative;

    public BackendSet(IEnumerable<BackendModel> backends)
    {
        _backends = backends.ToArray();
        _cumulative = new long[_backends.Length];
        long total = 0;
        for (var i = 0; i < _backends.Length; i++)
        {
            total += Math.Max(0, _backends[i].Weight);
            _cumulative[i] = total;
        }

        TotalWeight = total;
    }

    public static BackendSet Empty { get; } = new([]);

    public ImmutableArray<BackendModel> Backends => ImmutableArray.Create(_backends);

    public long TotalWeight { get; }

    /// <summary>Chooses a backend by weight, <paramref name="roll"/> being uniform in [0, 1).</summary>
    public BackendModel? Pick(double roll)
    {
        if (TotalWeight == 0)
        {
            return null;
        }

        if (_backends.Length == 1)
        {
            return _backends[0];
        }

        var point = (long)(roll * TotalWeight);
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (point < _cumulative[i])
            {
                return _backends[i];
            }
        }

        return _backends[^1];
    }
}
