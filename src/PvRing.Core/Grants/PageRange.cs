// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>The one check every scheme applies to an (offset, length) the peer supplied: it must fit in one page.</summary>
internal static class PageRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(int offset, int length) => (uint)offset <= XenPage.Size && (uint)length <= (uint)(XenPage.Size - offset);
}
