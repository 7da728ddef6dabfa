// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>
/// <see cref="IFutex"/> over Linux <c>futex(2)</c>, called through <c>syscall(2)</c> because glibc has no wrapper.
/// </summary>
/// <remarks>
/// Design: the word lives in a file mapped by two processes, so the operations are the shared ones
/// (<c>FUTEX_WAIT</c> = 0, <c>FUTEX_WAKE</c> = 1) without <c>FUTEX_PRIVATE_FLAG</c>: the private variants hash
/// the word by the process's own address space and would never match the other process's wait.
/// </remarks>
internal sealed unsafe class LinuxFutex : IFutex
{
    private const int FutexWait = 0;
    private const int FutexWake = 1;

    private readonly long _syscallNumber;

    internal LinuxFutex()
    {
        _syscallNumber = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 202,
            Architecture.Arm64 => 98,
            Architecture architecture => throw new PlatformNotSupportedException(
                $"PvRing's futex support covers Linux x64 and arm64; this process is {architecture}."),
        };
    }

    public FutexWaitResult Wait(uint* address, uint expected, int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMilliseconds);
        var timeout = new LinuxInterop.Timespec
        {
            Seconds = timeoutMilliseconds / 1000,
            Nanoseconds = (timeoutMilliseconds % 1000) * 1_000_000L,
        };
        long result = LinuxInterop.SyscallFutex(_syscallNumber, address, FutexWait, expected, &timeout, null, 0);
        if (result == 0)
        {
            return FutexWaitResult.Woken;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            LinuxInterop.EAGAIN => FutexWaitResult.ValueChanged,
            LinuxInterop.ETIMEDOUT => FutexWaitResult.TimedOut,
            LinuxInterop.EINTR => FutexWaitResult.Woken,
            _ => throw new PvRingException($"futex(FUTEX_WAIT) failed: errno={errno}."),
        };
    }

    public int Wake(uint* address, int count)
    {
        long result = LinuxInterop.SyscallFutex(_syscallNumber, address, FutexWake, (uint)count, null, null, 0);
        if (result < 0)
        {
            throw new PvRingException($"futex(FUTEX_WAKE) failed: errno={Marshal.GetLastPInvokeError()}.");
        }

        return (int)result;
    }
}
