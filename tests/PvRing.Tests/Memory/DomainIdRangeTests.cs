// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Grants;

namespace PvRing.Tests.Memory;

/// <summary>
/// Domain ids are <see cref="int"/> in the public API and Xen's 16-bit <c>domid_t</c> in shared memory: an id outside
/// 0 to <c>DOMID_FIRST_RESERVED</c> - 1 is refused up front, naming the parameter, instead of being truncated.
/// </summary>
public sealed class DomainIdRangeTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(0x7FF0)]
    [InlineData(0x1_0001)]
    public void Create_DomainIdOutOfRange_ThrowsNamingTheParameter(int domainId)
    {
        using var host = new TempHost();
        Assert.Equal("domainId", Assert.Throws<ArgumentOutOfRangeException>(() => GrantDomain.Create(host.Host, domainId)).ParamName);
        Assert.Equal("domainId", Assert.Throws<ArgumentOutOfRangeException>(() => EventDomain.Create(host.Host, domainId)).ParamName);
        Assert.Empty(Directory.GetFiles(host.Path));
    }

    [Fact]
    public void GrantAccess_GranteeOutOfRange_ThrowsNamingTheParameter()
    {
        using var host = new TempHost();
        using GrantDomain domain = GrantDomain.Create(host.Host, 1);
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => domain.GrantAccess(0x10000, 0, readOnly: true));
        Assert.Equal("grantee", thrown.ParamName);
    }

    [Fact]
    public void AllocateUnbound_LargestDomainId_RoundTripsThroughTheEventPage()
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 0x7FEF);
        using EventChannel channel = domain.AllocateUnbound(0x7FEF);
        Assert.Equal(0x7FEF, channel.DomainId);
        Assert.Equal(0x7FEF, channel.RemoteDomainId);
    }
}
