// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>The outcome of a negotiation: the value each feature runs with, the same on both sides.</summary>
public sealed class XenBusNegotiation
{
    private readonly Dictionary<XenBusFeature, uint> _values;

    internal XenBusNegotiation(Dictionary<XenBusFeature, uint> values) => _values = values;

    /// <summary>The negotiated value of <paramref name="feature"/> (its default if it was not negotiated).</summary>
    public uint this[XenBusFeature feature] => _values.TryGetValue(feature, out uint value) ? value : feature.DefaultValue;

    /// <summary>Whether a boolean feature is on (or a number feature above zero).</summary>
    public bool IsEnabled(XenBusFeature feature) => this[feature] != 0;

    /// <summary>Every negotiated feature and its value.</summary>
    public IReadOnlyDictionary<XenBusFeature, uint> Values => _values;

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(p => $"{p.Key.ChoiceKey}={p.Value}"));
}
