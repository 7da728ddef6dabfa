// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>How a back end reaches a front end's granted pages; a transport picks one per connection.</summary>
public enum GrantScheme
{
    /// <summary>Xen's default grant copy: validate, copy within one page, no mapping survives the call.</summary>
    Copy,

    /// <summary>Hackathon item F (<c>feature-grant-map</c>): <c>mmap</c> the granted page, use it, <c>munmap</c> it.</summary>
    Map,

    /// <summary>Hackathon item G (<c>feature-persistent</c>): map each grant once and keep it, with a cap and LRU purge.</summary>
    Persistent,

    /// <summary>Hackathon item J (<c>feature-direct-map</c>): map the whole arena once; requests carry frame numbers.</summary>
    DirectMap,

    /// <summary>The frontend-driven TLB flush (<c>feature-deferred-unmap</c>): unmaps wait for the front's flush request.</summary>
    DeferredUnmap,
}
