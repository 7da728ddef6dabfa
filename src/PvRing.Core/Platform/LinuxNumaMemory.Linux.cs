// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary><see cref="INumaMemory"/> over Linux <c>mbind(2)</c>, called through <c>syscall(2)</c> (glibc has no wrapper; libnuma does).</summary>
internal sealed unsafe class LinuxNumaMemory : INumaMemory
{
    private const int MpolPreferred = 1;

    private readonly long _syscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 237,
        Architecture.Arm64 => 235,
        Architecture architecture => throw new PlatformNotSupportedException($"PvRing's NUMA binding covers Linux x64 and arm64; this process is {architecture}."),
    };

    public void PreferNode(byte* address, nuint length, int node)
    {
        const int Bits = NumaMemory.MaxNodeId + 1;
        ulong* mask = stackalloc ulong[Bits / 64];
        new Span<ulong>(mask, Bits / 64).Clear();
        mask[node / 64] = 1UL << (node % 64);
        // maxnode counts bits, and the kernel reads one fewer than it is given.
        long result = LinuxInterop.SyscallMbind(_syscallNumber, address, length, MpolPreferred, mask, Bits + 1, 0);
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new PvRingException($"mbind(MPOL_PREFERRED, node {node}) failed: errno={errno} ({Marshal.GetPInvokeErrorMessage(errno)}), length={length}.");
        }
    }
}
