// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>A page rented from a <see cref="PersistentGrantPool"/>: its grant reference and its place in the pool.</summary>
/// <param name="Reference">The grant reference to put in a request.</param>
/// <param name="Slot">The page's index in the pool.</param>
public readonly record struct PooledGrant(uint Reference, int Slot);
