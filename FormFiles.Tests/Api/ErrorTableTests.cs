using FormFiles.Api;

namespace FormFiles.Tests.Api;

/// <summary>The error table of design §4 (plus Navixy's 111/112), code by code.</summary>
public sealed class ErrorTableTests
{
    public static TheoryData<int, int> Table => new()
    {
        { 1, 500 }, { 3, 400 }, { 4, 400 }, { 5, 400 }, { 6, 500 }, { 7, 400 }, { 9, 412 }, { 11, 403 },
        { 14, 503 }, { 15, 429 }, { 111, 404 }, { 112, 405 }, { 201, 400 }, { 231, 409 }, { 242, 400 },
        { 247, 409 }, { 255, 400 }, { 267, 400 }, { 268, 402 }, { 269, 400 }, { 271, 413 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_code_has_its_http_status_and_a_description(int code, int httpStatus)
    {
        var error = (ErrorCode)code;

        Assert.True(Enum.IsDefined(error), $"code {code} is missing");
        Assert.Equal(httpStatus, error.HttpStatus());
        Assert.False(string.IsNullOrWhiteSpace(error.Description()));
    }

    [Fact]
    public void The_table_lists_every_code()
    {
        Assert.Equal(Table.Select(row => (int)row[0]).Order(), Enum.GetValues<ErrorCode>().Select(c => (int)c).Order());
    }
}
