// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Samples;

/// <summary>
/// Turns SIGINT and SIGTERM into a flag the sample's loop checks when it is idle, and a token that ends a side
/// asleep on its event channel.
/// </summary>
internal sealed class Interruption : IDisposable
{
    public const int ExitCode = 130;

    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private readonly CancellationTokenSource _cancellation = new();
    private volatile bool _requested;

    public Interruption()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public bool Requested => _requested;

    public CancellationToken Token => _cancellation.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _requested = true;
        _cancellation.Cancel();
    }
}
