// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Win32.SafeHandles;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>
/// The survivor's defence, where the platform allows one, against a peer that truncates a named shared file: a
/// descriptor of the file (its own, duplicated) whose size is checked (<c>fstat</c>, about 1 µs) before this process
/// reads the shared structures again after a sleep, so a truncation made while it slept is a clear
/// <see cref="PvRingException"/> instead of a <c>SIGBUS</c>.
/// </summary>
/// <remarks>
/// Design: a truncation that lands while this process is inside a hot path (between a check and the loads and stores
/// that follow) still raises <c>SIGBUS</c>, which .NET turns into a fatal <see cref="AccessViolationException"/> that no
/// handler can catch; only sealed memory (<see cref="SealedMemory"/>) closes that window. Checks run on slow paths only
/// (after a waiter wakes from a sleep), never per packet.
/// <para>A check that finds the file short gives it its length back (<c>ftruncate</c> on our descriptor: the lost pages
/// read as zeros from then on) before it throws, so the teardown that follows the error (closing a port, unpinning a
/// grant, both of which write the shared pages) cannot fault; the verdict is remembered per file
/// (<see cref="TruncationRecord"/>), so every later check of it, by any guard, throws the same error.</para>
/// </remarks>
internal sealed class TruncationGuard : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _required;
    private readonly string _path;
    private readonly TruncationRecord _record;

    private TruncationGuard(SafeFileHandle handle, long required, string path, TruncationRecord record)
    {
        _handle = handle;
        _required = required;
        _path = path;
        _record = record;
    }

    /// <summary>
    /// A guard over a duplicate of <paramref name="file"/>'s descriptor, or null where the platform has none to offer;
    /// <paramref name="record"/> is the file's verdict, shared by all its guards.
    /// </summary>
    internal static TruncationGuard? Create(SafeFileHandle file, long required, string path, TruncationRecord record)
    {
        if (!OperatingSystem.IsLinux() || file.IsInvalid || file.IsClosed)
        {
            return null;
        }

        int fd = LinuxInterop.Duplicate((int)file.DangerousGetHandle());
        return fd < 0 ? null : new TruncationGuard(new SafeFileHandle(fd, ownsHandle: true), required, path, record);
    }

    /// <summary>
    /// Throws when the file is now shorter than the mapping (touching the missing pages would be a <c>SIGBUS</c>), or was
    /// found so before; gives the file its length back first.
    /// </summary>
    /// <exception cref="PvRingException">The file was truncated.</exception>
    internal void Check()
    {
        if (Volatile.Read(ref _record.Message) is string verdict)
        {
            throw new PvRingException(verdict);
        }

        long length;
        try
        {
            length = RandomAccess.GetLength(_handle);
        }
        catch (ObjectDisposedException)
        {
            return; // the mapping is being released: nobody reads through it any more
        }

        if (length < _required)
        {
            ThrowTruncated(length);
        }
    }

    public void Dispose() => _handle.Dispose();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowTruncated(long length)
    {
        string restored;
        try
        {
            RandomAccess.SetLength(_handle, _required);
            restored = "its length is restored (the lost contents read as zeros) so that closing cannot crash";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            restored = $"restoring its length failed ({e.Message})";
        }

        string message =
            $"The shared file was truncated under its mapping (by the peer?): path={_path}, length={length}, mapped={_required}. " +
            $"Reading it would crash this process (SIGBUS), so the connection stops here; {restored}.";
        Interlocked.CompareExchange(ref _record.Message, message, null);
        throw new PvRingException(Volatile.Read(ref _record.Message)!);
    }
}
