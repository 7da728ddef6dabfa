// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;

namespace PvRing.Tests.Hardening;

/// <summary>
/// Named counts of what a fuzzer's survivor did (deliveries, statuses, refusals), printed with the run. <see cref="Attempt"/>
/// runs one operation and counts the library's exception as a refusal (by type); any other exception goes on to the case,
/// which fails it.
/// </summary>
internal sealed class FuzzTally
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _first = new(StringComparer.Ordinal);

    /// <summary>The first message of each kind of refusal, for the report.</summary>
    public string FirstRefusals => string.Join(" | ", _first.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value));

    /// <summary>The count of <paramref name="name"/> (0 if never counted).</summary>
    public long this[string name] => _counts.GetValueOrDefault(name);

    public void Add(string name, long count = 1) => _counts.AddOrUpdate(name, count, (_, c) => c + count);

    /// <summary>Runs <paramref name="operation"/>; false when it threw the library's <see cref="PvRingException"/> (counted as refused).</summary>
    public bool Attempt(Action operation)
    {
        try
        {
            operation();
            return true;
        }
        catch (PvRingException e)
        {
            Refused(e);
            return false;
        }
    }

    /// <summary>Counts a refusal with the library's exception <paramref name="e"/> (by type; its message is kept as an example of its kind).</summary>
    public void Refused(PvRingException e)
    {
        Add("refused");
        Add("refused:" + e.GetType().Name);
        string kind = new(e.Message.TakeWhile(c => !char.IsDigit(c) && c != '=').Take(40).ToArray());
        _first.TryAdd(e.GetType().Name + ": " + kind, e.Message);
    }

    public override string ToString() => string.Join(' ', _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
