// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// One negotiable feature, as data: the key the back end offers under, the key the front end writes its
/// choice under, the classic Xen default that a missing key means, and the bounds a choice must respect.
/// Numbers are decimal strings that must parse completely; booleans are "0" or "1".
/// </summary>
public sealed class XenBusFeature
{
    private XenBusFeature(string name, XenBusFeatureKind kind, string offerKey, string choiceKey, uint defaultValue, uint minimum, uint limit)
    {
        Name = name;
        Kind = kind;
        OfferKey = offerKey;
        ChoiceKey = choiceKey;
        DefaultValue = defaultValue;
        Minimum = minimum;
        Limit = limit;
    }

    /// <summary>A short name for logs and results (the offer key).</summary>
    public string Name { get; }

    /// <summary>Boolean or maximum-number.</summary>
    public XenBusFeatureKind Kind { get; }

    /// <summary>The back end's key, for example <c>max-ring-page-order</c>.</summary>
    public string OfferKey { get; }

    /// <summary>The front end's key, for example <c>ring-page-order</c>.</summary>
    public string ChoiceKey { get; }

    /// <summary>What a missing offer and a missing choice mean: classic Xen behaviour.</summary>
    public uint DefaultValue { get; }

    /// <summary>The smallest valid choice.</summary>
    public uint Minimum { get; }

    /// <summary>The largest value either side may write; anything above is malformed.</summary>
    public uint Limit { get; }

    /// <summary>A boolean feature offered and chosen under <paramref name="key"/> (default: off).</summary>
    public static XenBusFeature Boolean(string key) => Boolean(key, key);

    /// <summary>A boolean feature offered under <paramref name="offerKey"/> and chosen under <paramref name="choiceKey"/> (default: off).</summary>
    public static XenBusFeature Boolean(string offerKey, string choiceKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(offerKey);
        ArgumentException.ThrowIfNullOrEmpty(choiceKey);
        return new XenBusFeature(offerKey, XenBusFeatureKind.Boolean, offerKey, choiceKey, 0, 0, 1);
    }

    /// <summary>
    /// A maximum-number feature: the back end offers a maximum under <paramref name="offerKey"/>, the front end
    /// writes a choice in [<paramref name="minimum"/>, offer] under <paramref name="choiceKey"/>; a missing key
    /// means <paramref name="defaultValue"/>; no value may exceed <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The bounds are inconsistent.</exception>
    public static XenBusFeature MaxNumber(string offerKey, string choiceKey, uint defaultValue, uint minimum, uint limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(offerKey);
        ArgumentException.ThrowIfNullOrEmpty(choiceKey);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimum, limit);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultValue, minimum);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(defaultValue, limit);
        return new XenBusFeature(offerKey, XenBusFeatureKind.MaxNumber, offerKey, choiceKey, defaultValue, minimum, limit);
    }

    /// <summary>The front end's choice: what it wants, capped by the offer (and at least the minimum).</summary>
    public uint Choose(uint offer, uint wanted) => Math.Max(Minimum, Math.Min(offer, wanted));

    /// <summary>Why <paramref name="offer"/> is not a valid offer, or null if it is.</summary>
    public string? CheckOffer(uint offer) => offer < Minimum ? $"{OfferKey} {offer} is below the minimum {Minimum}" : null;

    /// <summary>Formats a value for the store.</summary>
    public static string Format(uint value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a value read from the store strictly; null means malformed or out of range.</summary>
    public uint? Parse(string text) => XenStoreNumber.TryParseDecimal(text, Limit, out uint value) ? value : null;

    /// <summary>Why <paramref name="choice"/> is not acceptable against <paramref name="offer"/>, or null if it is.</summary>
    public string? CheckChoice(uint choice, uint offer) =>
        choice > offer ? $"{ChoiceKey} {choice} exceeds {OfferKey} {offer}"
        : choice < Minimum ? $"{ChoiceKey} {choice} is below the minimum {Minimum}"
        : null;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
