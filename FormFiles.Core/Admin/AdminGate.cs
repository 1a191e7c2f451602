using System.Security.Cryptography;
using System.Text;
using FormFiles.Api;

namespace FormFiles.Admin;

/// <summary>The admin plane's only check: header <c>X-Admin-Key</c> equals <c>FormFiles:AdminKey</c> (11 otherwise, and always while none is configured).</summary>
public sealed class AdminGate(IOptions<FormFilesOptions> options)
{
    public const string Header = "X-Admin-Key";

    public void Require(HttpContext context)
    {
        var expected = options.Value.AdminKey;
        if (string.IsNullOrEmpty(expected))
            throw new ApiException(ErrorCode.AccessDenied, "Access denied: the admin API is off (no FormFiles:AdminKey is configured)");
        var given = context.Request.Headers[Header].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            throw new ApiException(ErrorCode.AccessDenied, $"Access denied: wrong or missing {Header}");
    }
}
