// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// A watch fired: something at or below the watched path changed (or the watch was just registered, then
/// <see cref="Path"/> is the watched path). Events may be spurious or coalesced: re-read what you need.
/// </summary>
/// <param name="Path">The path that changed, as the store reported it.</param>
/// <param name="Token">The watch's token.</param>
public sealed record XenStoreWatchEvent(string Path, string Token);
