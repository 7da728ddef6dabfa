// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// A process as another process can recognise it later: its id plus its start time, so that a recycled pid
/// is not mistaken for the original process.
/// </summary>
/// <param name="ProcessId">The process id.</param>
/// <param name="StartTime">An opaque start stamp (on Linux, field 22 of <c>/proc/&lt;pid&gt;/stat</c>, clock ticks since boot).</param>
internal readonly record struct ProcessIdentity(int ProcessId, ulong StartTime);
