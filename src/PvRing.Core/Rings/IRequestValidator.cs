// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Checks a request after it was copied out of shared memory (XSA-155: copy, then validate, then use).
/// Implement it as a struct so the ring's consume loop is specialised and the call inlined.
/// </summary>
/// <typeparam name="TRequest">The request struct.</typeparam>
public interface IRequestValidator<TRequest>
    where TRequest : unmanaged
{
    /// <summary>
    /// Returns null when <paramref name="request"/> is acceptable, else why not, as <c>name=value</c> pairs
    /// (the message of the <see cref="PvRingProtocolException"/> the ring raises).
    /// </summary>
    string? Validate(in TRequest request);
}
