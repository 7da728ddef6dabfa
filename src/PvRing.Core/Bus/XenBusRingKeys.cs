// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// The transport keys a front end publishes for its rings and event channels, named as Linux's front ends name them:
/// one grant reference per ring page, <c>{prefix}ring-ref</c> for a one-page ring and <c>{prefix}ring-ref0</c>..
/// <c>{prefix}ring-ref{N-1}</c> for 2^order pages (blkfront's rule; a device picks its prefixes, netif's per-direction
/// <c>tx-</c> and <c>rx-</c>), and <c>event-channel</c> (a device may name more channels, read the same way).
/// The back end reads them as hostile input: strict decimal numbers, nothing missing.
/// </summary>
public static class XenBusRingKeys
{
    /// <summary>The single event channel's key.</summary>
    public const string EventChannel = "event-channel";

    /// <summary>The largest port number accepted from a peer: PvRing's event pages hold 1024 ports.</summary>
    public const int MaxPort = Events.EventDomain.PortCount - 1;

    /// <summary>The key of ring page <paramref name="page"/> of a ring of 2^<paramref name="order"/> pages.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The page is outside the ring.</exception>
    public static string RingReferenceKey(string prefix, int order, int page)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(page, 1 << order);
        return order == 0 ? prefix + "ring-ref" : prefix + "ring-ref" + page.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Adds the keys of a ring's grant references (page order) to <paramref name="keys"/>.</summary>
    /// <exception cref="ArgumentException">The number of references is not a power of two.</exception>
    public static void AddRingReferences(IDictionary<string, string> keys, string prefix, IReadOnlyList<uint> references)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0 || !int.IsPow2(references.Count))
        {
            throw new ArgumentException($"A ring has a power-of-two number of pages, not {references.Count}.", nameof(references));
        }

        int order = int.Log2(references.Count);
        for (int page = 0; page < references.Count; page++)
        {
            keys[RingReferenceKey(prefix, order, page)] = references[page].ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// Reads the 2^<paramref name="order"/> grant references of a ring from the front end's directory.
    /// </summary>
    /// <exception cref="PvRingProtocolException">A key is missing or not a strict decimal number.</exception>
    public static async Task<uint[]> ReadRingReferencesAsync(XenStoreClient store, string frontendPath, string prefix, int order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(frontendPath);
        var references = new uint[1 << order];
        for (int page = 0; page < references.Length; page++)
        {
            string key = RingReferenceKey(prefix, order, page);
            references[page] = await ReadNumberAsync(store, frontendPath, key, uint.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        return references;
    }

    /// <summary>Reads an event channel port (1..<see cref="MaxPort"/>) from <paramref name="key"/> of the front end's directory.</summary>
    /// <exception cref="PvRingProtocolException">The key is missing, not a strict decimal number, 0 or above <see cref="MaxPort"/>.</exception>
    public static async Task<int> ReadEventChannelAsync(XenStoreClient store, string frontendPath, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(frontendPath);
        uint port = await ReadNumberAsync(store, frontendPath, key, MaxPort, cancellationToken).ConfigureAwait(false);
        return port == 0 ? throw new PvRingProtocolException($"{frontendPath}/{key} is 0, which is never a bound port.") : (int)port;
    }

    private static async Task<uint> ReadNumberAsync(XenStoreClient store, string directory, string key, uint max, CancellationToken cancellationToken)
    {
        string? text = await store.TryReadAsync(directory + "/" + key, cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            throw new PvRingProtocolException($"The front end did not write {directory}/{key}.");
        }

        return XenStoreNumber.TryParseDecimal(text, max, out uint value)
            ? value
            : throw new PvRingProtocolException($"{directory}/{key} is not a decimal number up to {max}: '{XenBusSide.Shorten(text)}'.");
    }
}
