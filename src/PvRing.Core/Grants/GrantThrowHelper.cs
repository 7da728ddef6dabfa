// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;

namespace PvRing.Grants;

/// <summary>Cold throw paths of the grant code: messages are built here, never in the hot methods.</summary>
internal static class GrantThrowHelper
{
    [DoesNotReturn]
    public static void ThrowStatus(GrantStatus status, uint reference) =>
        throw new PvRingProtocolException($"Grant operation failed: status={status} ({(short)status}), ref={reference}.");

    [DoesNotReturn]
    public static void ThrowFrameOutOfRange(uint frame, long frameCount) =>
        throw new ArgumentOutOfRangeException(nameof(frame), frame, $"The arena holds {frameCount} frames.");

    [DoesNotReturn]
    public static void ThrowReferenceOutOfRange(uint reference, uint entryCount) =>
        throw new ArgumentOutOfRangeException(nameof(reference), reference,
            $"Grant references run from {GrantTableLayout.ReservedEntries} to {entryCount - 1}.");

    [DoesNotReturn]
    public static void ThrowForeignCounters(string device, int queue) =>
        throw new ArgumentException($"These grant counters belong to another domain: device={device}, queue={queue}.", "counters");

    [DoesNotReturn]
    public static void ThrowTableFull(uint entryCount) =>
        throw new InvalidOperationException($"Every grant reference is in use: entries={entryCount}. End access to some first.");

    [DoesNotReturn]
    public static void ThrowBadHandle(int handle) =>
        throw new ArgumentException($"Not a live mapping handle: handle={handle}.", nameof(handle));

    [DoesNotReturn]
    public static void ThrowReadOnlyMapping(int handle) =>
        throw new InvalidOperationException($"The mapping is read-only: handle={handle}.");

    [DoesNotReturn]
    public static void ThrowMmap(int errno, uint frame) =>
        throw new PvRingException($"mmap of arena frame {frame} failed: errno={errno}.");
}
