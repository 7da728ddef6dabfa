// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;

namespace PvRing;

/// <summary>Cold throw paths, kept out of hot methods so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().Name);

    [DoesNotReturn]
    public static void ThrowProtocol(string message) => throw new PvRingProtocolException(message);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string parameterName, object? value, string message) =>
        throw new ArgumentOutOfRangeException(parameterName, value, message);

    // Hot methods call the helpers below with raw values: building the message here, not at the call site,
    // keeps string formatting (and its stack space) out of the inlined fast paths.

    [DoesNotReturn]
    public static void ThrowBatchIndexOutOfRange(int index, int count) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch holds {count} slots.");

    [DoesNotReturn]
    public static void ThrowRingFull(uint size, uint outstanding) =>
        throw new InvalidOperationException($"The ring is full: size={size}, outstanding={outstanding}. Consume responses first.");

    [DoesNotReturn]
    public static void ThrowNoPendingRequest(uint responseProducer, uint requestConsumer) =>
        throw new InvalidOperationException($"No request is waiting for a response: rsp_prod_pvt={responseProducer}, req_cons={requestConsumer}.");

    [DoesNotReturn]
    public static void ThrowBatchOverlap(string producer, uint batchStart, uint current) =>
        throw new InvalidOperationException($"Slots were produced while a batch was open: batchStart={batchStart}, {producer}={current}.");

    [DoesNotReturn]
    public static void ThrowRequestsPending(uint requestConsumer, uint responseProducer) =>
        throw new InvalidOperationException(
            $"Answer the requests already consumed first: req_cons={requestConsumer}, rsp_prod_pvt={responseProducer}.");

    [DoesNotReturn]
    public static void ThrowInvalidRequest(uint index, string problem) =>
        throw new PvRingProtocolException($"Invalid request at index {index}: {problem}.");
}
