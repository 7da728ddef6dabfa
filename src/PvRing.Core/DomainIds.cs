// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PvRing;

/// <summary>
/// Domain ids: the public API takes and returns them as <see cref="int"/> (what .NET callers hold); the shared-memory
/// layouts store Xen's 16-bit <c>domid_t</c>. Every public entry point that takes a domain id checks it here once.
/// </summary>
internal static class DomainIds
{
    /// <summary>The largest domain id: Xen's <c>DOMID_FIRST_RESERVED</c> - 1 (ids from 0x7FF0 up are reserved).</summary>
    internal const int MaxValue = 0x7FEF;

    /// <summary>Returns <paramref name="domainId"/> if it is 0 to <see cref="MaxValue"/>, else throws naming the parameter.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is negative or above <see cref="MaxValue"/>.</exception>
    internal static int Check(int domainId, [CallerArgumentExpression(nameof(domainId))] string? parameterName = null)
    {
        if ((uint)domainId > MaxValue)
        {
            ThrowOutOfRange(domainId, parameterName);
        }

        return domainId;
    }

    [DoesNotReturn]
    private static void ThrowOutOfRange(int domainId, string? parameterName) =>
        throw new ArgumentOutOfRangeException(parameterName, domainId, $"A domain id is 0 to {MaxValue} (Xen's DOMID_FIRST_RESERVED - 1).");
}
