// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Grants;

/// <summary>Turns a failed <see cref="GrantStatus"/> into the library's protocol error.</summary>
public static class GrantStatusExtensions
{
    /// <summary>
    /// Throws <see cref="PvRingProtocolException"/> (naming the status and <paramref name="reference"/>) unless
    /// <paramref name="status"/> is <see cref="GrantStatus.Okay"/>.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The status is an error: the peer supplied a bad grant.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfFailed(this GrantStatus status, uint reference)
    {
        if (status != GrantStatus.Okay)
        {
            GrantThrowHelper.ThrowStatus(status, reference);
        }
    }
}
