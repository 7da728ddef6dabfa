// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Tests.Platform;

public sealed class CpuListTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3,8,10-11\n", new[] { 0, 1, 2, 3, 8, 10, 11 })]
    [InlineData("4,1-2", new[] { 1, 2, 4 })]
    [InlineData("", new int[0])]
    public void Parse_KernelFormat_ReturnsSortedIds(string text, int[] expected) => Assert.Equal(expected, CpuList.Parse(text));

    [Theory]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("-1")]
    public void Parse_Malformed_ThrowsFormatException(string text) => Assert.Throws<FormatException>(() => CpuList.Parse(text));
}
