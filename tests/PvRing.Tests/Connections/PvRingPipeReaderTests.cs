// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.IO.Pipelines;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// The pipe's input (<see cref="PvRingPipeReader"/>, a reader over lent packets) keeps <see cref="PipeReader"/>'s contract:
/// partial consumption, examined-but-not-consumed, cancellation, completion, the end of the stream and the peer's death;
/// every byte checked against the pattern byte i = (byte)(i % 251) of the stream.
/// </summary>
public sealed class PvRingPipeReaderTests
{
    private static readonly TimeSpan s_bound = PipePair.Bound;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AdvanceTo_PartlyConsumed_TheRestComesBackWithoutWaiting(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("partial");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        await PipePair.WritePatternAsync(output, 0, 3 * 4096);

        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 3 * 4096);
        PipePair.AssertPattern(buffer, 0);
        input.AdvanceTo(buffer.GetPosition(100), buffer.GetPosition(buffer.Length - 1));

        // Not everything was examined: the next read returns at once, from byte 100.
        ValueTask<ReadResult> next = input.ReadAsync();
        Assert.True(next.IsCompleted);
        ReadResult result = await next;
        Assert.Equal(3 * 4096 - 100, result.Buffer.Length);
        PipePair.AssertPattern(result.Buffer, 100);
        input.AdvanceTo(result.Buffer.End);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AdvanceTo_ExaminedButNotConsumed_NextReadWaitsThenReturnsOldAndNew(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("examined");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        await PipePair.WritePatternAsync(output, 0, 10);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 10);
        input.AdvanceTo(buffer.Start, buffer.End);

        ValueTask<ReadResult> waiting = input.ReadAsync();
        Assert.False(waiting.IsCompleted, "a read after examining everything waits for more");
        await PipePair.WritePatternAsync(output, 10, 20);
        ReadResult result = await waiting.AsTask().WaitAsync(s_bound);

        // The new packet joins the bytes held: one buffer of 30, from the first byte.
        Assert.Equal(30, result.Buffer.Length);
        PipePair.AssertPattern(result.Buffer, 0);
        input.AdvanceTo(result.Buffer.End);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AdvanceTo_HoldingMoreThanTheLendBudget_ReadsGoOnWithCopies(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("budget");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        PvRingConnection reading = frontWrites ? pair.Back : pair.Front;
        int budget = reading.SlotLendBudget;
        int bytes = (budget * 4 * 4096) + 123;
        Task writing = PipePair.WritePatternAsync(output, 0, bytes);

        // A message four times the budget, examined and never consumed until it is all there: no deadlock.
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, bytes);
        Assert.Equal(bytes, buffer.Length);
        Assert.True(((PvRingPipeReader)input).PacketsHeld > budget, $"{((PvRingPipeReader)input).PacketsHeld} packets held, budget {budget}");
        PipePair.AssertPattern(buffer, 0);
        input.AdvanceTo(buffer.End);
        Assert.Equal(0, ((PvRingPipeReader)input).PacketsHeld);
        Assert.True(reading.CanLendSlot);
        await writing.WaitAsync(s_bound);
    }

    [Fact]
    public async Task CancelPendingRead_WhileWaiting_TheReadReturnsCanceledAndTheStreamGoesOn()
    {
        await using var pair = await PipePair.StartAsync("cancelwait");
        PipeReader input = pair.Back.Pipe.Input;
        ValueTask<ReadResult> waiting = input.ReadAsync();
        Assert.False(waiting.IsCompleted);
        input.CancelPendingRead();
        ReadResult canceled = await waiting.AsTask().WaitAsync(s_bound);
        Assert.True(canceled.IsCanceled);
        Assert.False(canceled.IsCompleted);
        input.AdvanceTo(canceled.Buffer.End);

        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 5000);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 5000);
        PipePair.AssertPattern(buffer, 0);
        input.AdvanceTo(buffer.End);
    }

    [Fact]
    public async Task CancelPendingRead_BeforeARead_TheNextReadReturnsCanceledAtOnce()
    {
        await using var pair = await PipePair.StartAsync("cancelnext");
        PipeReader input = pair.Back.Pipe.Input;
        input.CancelPendingRead();
        ValueTask<ReadResult> read = input.ReadAsync();
        Assert.True(read.IsCompleted);
        ReadResult result = await read;
        Assert.True(result.IsCanceled);
        input.AdvanceTo(result.Buffer.End);

        // Used up: the read after it waits as usual.
        ValueTask<ReadResult> waiting = input.ReadAsync();
        Assert.False(waiting.IsCompleted);
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 1);
        result = await waiting.AsTask().WaitAsync(s_bound);
        Assert.False(result.IsCanceled);
        PipePair.AssertPattern(result.Buffer, 0);
        input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task ReadAsync_TokenCanceledWhileWaiting_ThrowsAndLosesNothing()
    {
        await using var pair = await PipePair.StartAsync("token");
        PipeReader input = pair.Back.Pipe.Input;
        using var cancel = new CancellationTokenSource();
        ValueTask<ReadResult> waiting = input.ReadAsync(cancel.Token);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting.AsTask().WaitAsync(s_bound));

        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 9000);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 9000);
        PipePair.AssertPattern(buffer, 0);
        input.AdvanceTo(buffer.End);
    }

    [Fact]
    public async Task Complete_WhileHoldingPackets_GivesThemBackAndRefusesReads()
    {
        await using var pair = await PipePair.StartAsync("complete");
        var input = (PvRingPipeReader)pair.Back.Pipe.Input;
        int budget = pair.Back.SlotLendBudget;
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, budget * 4096);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, budget * 4096);
        input.AdvanceTo(buffer.Start, buffer.End);
        Assert.Equal(budget, input.PacketsHeld);
        Assert.False(pair.Back.CanLendSlot);

        input.Complete();
        Assert.Equal(0, input.PacketsHeld);
        Assert.True(pair.Back.CanLendSlot);
        Assert.True(input.Done.IsCompleted);
        _ = Assert.Throws<InvalidOperationException>(() => input.ReadAsync());
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(default));
    }

    [Fact]
    public async Task Complete_WhileAReadWaits_TheReadEndsAndThePacketsGoBack()
    {
        await using var pair = await PipePair.StartAsync("completewait");
        var input = (PvRingPipeReader)pair.Back.Pipe.Input;
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 8192);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 8192);
        input.AdvanceTo(buffer.Start, buffer.End);
        ValueTask<ReadResult> waiting = input.ReadAsync();
        Assert.False(waiting.IsCompleted);

        input.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await waiting.AsTask().WaitAsync(s_bound));
        await input.Done.WaitAsync(s_bound);
        Assert.Equal(0, input.PacketsHeld);
    }

    [Fact]
    public async Task AdvanceTo_Misuse_ThrowsAsPipeDoes()
    {
        await using var pair = await PipePair.StartAsync("misuse");
        PipeReader input = pair.Back.Pipe.Input;
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(default));
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 4096 + 10);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 4096 + 10);

        _ = Assert.Throws<InvalidOperationException>(() => input.ReadAsync());
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(buffer.GetPosition(20), buffer.GetPosition(10)));
        input.AdvanceTo(buffer.GetPosition(10), buffer.GetPosition(4096));
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(buffer.End));

        ReadResult result = await input.ReadAsync();
        Assert.Equal(4096, result.Buffer.Length);
        PipePair.AssertPattern(result.Buffer, 10);

        // Back before what was consumed, or examined before what was examined: refused.
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(buffer.GetPosition(5)));
        _ = Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(result.Buffer.Start, result.Buffer.GetPosition(100)));
        input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task TryRead_NothingThenData_FalseThenTheBytes()
    {
        await using var pair = await PipePair.StartAsync("tryread");
        PipeReader input = pair.Back.Pipe.Input;
        Assert.False(input.TryRead(out _));
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 300);
        ReadResult result = default;
        Assert.True(SpinWait.SpinUntil(() => input.TryRead(out result), s_bound));
        Assert.True(result.Buffer.Length > 0);
        PipePair.AssertPattern(result.Buffer, 0);
        input.AdvanceTo(result.Buffer.End);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Write_LargerThan64KiBAndGetMemoryLargerThanAPage_EveryByteArrives(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("large");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        const int Large = 200_000;
        const int Hinted = 100_000;
        Task writing = Task.Run(async () =>
        {
            byte[] data = PipePair.Pattern(0, Large);
            _ = await output.WriteAsync(data);

            // One GetMemory far larger than a page, filled and advanced at once.
            Memory<byte> memory = output.GetMemory(Hinted);
            Assert.True(memory.Length >= Hinted);
            PipePair.Pattern(Large, Hinted).CopyTo(memory);
            output.Advance(Hinted);
            _ = await output.FlushAsync();
        });

        long offset = 0;
        while (offset < Large + Hinted)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(s_bound);
            PipePair.AssertPattern(result.Buffer, offset);
            offset += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
        }

        Assert.Equal(Large + Hinted, offset);
        await writing.WaitAsync(s_bound);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadAsync_PeerClosed_IsCompletedOnceEveryByteWasRead(bool frontCloses)
    {
        await using var pair = await PipePair.StartAsync("closed");
        PvRingConnection closing = frontCloses ? pair.Front : pair.Back;
        PipeReader input = (frontCloses ? pair.Back : pair.Front).Pipe.Input;
        const int Bytes = 150_000;
        await PipePair.WritePatternAsync(closing.Pipe.Output, 0, Bytes);
        await closing.DisposeAsync().AsTask().WaitAsync(s_bound);

        long offset = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(s_bound);
            PipePair.AssertPattern(result.Buffer, offset);
            offset += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(Bytes, offset);

        // And it stays completed.
        ReadResult again = await input.ReadAsync();
        Assert.True(again.IsCompleted);
        Assert.True(again.Buffer.IsEmpty);
        input.AdvanceTo(again.Buffer.End);
    }

    [Fact]
    public async Task ReadAsync_PeerProcessKilledWhileWaiting_EndsWithTheLibrarysException()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("pipekill", new() { Host = host.Host });
        const int Bytes = 70_000;
        using ChildProcess peer = ChildProcess.StartPeer("api-pipe-write", "pipekill", host.Path, Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        PipeReader input = back.Pipe.Input;
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, Bytes);
        Assert.Equal(Bytes, buffer.Length);
        PipePair.AssertPattern(buffer, 0);
        input.AdvanceTo(buffer.End);
        Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("written") || peer.HasExited, s_bound), peer.Output);

        ValueTask<ReadResult> waiting = input.ReadAsync();
        peer.Kill();
        Exception? ended = await Record.ExceptionAsync(async () =>
        {
            ReadResult result = await waiting.AsTask().WaitAsync(s_bound);
            Assert.True(result.IsCompleted && result.Buffer.IsEmpty, "a read that does not throw ends the stream");
            input.AdvanceTo(result.Buffer.End);
        });

        // The event channel's liveness check sees the death (PeerGoneException), or the store's release is seen first and
        // the connection reports the end of the stream, as ReceiveAsync does; either way the read does not hang.
        Assert.True(ended is PeerGoneException || (ended is null && back.IsPeerGone), $"ended with {ended?.ToString() ?? "the end of the stream"}");
        if (ended is not null)
        {
            // The failure stays: the next read throws it again.
            _ = await Assert.ThrowsAsync<PeerGoneException>(async () => await input.ReadAsync());
        }
    }

    [Fact]
    public async Task DisposeAsync_ReaderHoldingPackets_ReleasesThemAndAWaitingReadEnds()
    {
        await using var pair = await PipePair.StartAsync("dispose");
        var input = (PvRingPipeReader)pair.Back.Pipe.Input;
        await PipePair.WritePatternAsync(pair.Front.Pipe.Output, 0, 3 * 4096);
        ReadOnlySequence<byte> buffer = await PipePair.ReadAtLeastAsync(input, 3 * 4096);
        input.AdvanceTo(buffer.Start, buffer.End);
        ValueTask<ReadResult> waiting = input.ReadAsync();
        Assert.False(waiting.IsCompleted);

        await pair.Back.DisposeAsync().AsTask().WaitAsync(s_bound);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting.AsTask().WaitAsync(s_bound));
        Assert.Equal(0, input.PacketsHeld);
    }
}
