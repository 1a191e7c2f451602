using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Seed 004's upload, as its JavaScript sends it: <c>formData.append('name', file, file.name)</c> first, then <c>source</c>,
/// <c>uploaded_from</c>, <c>subject_type</c>, <c>subject_id</c>, <c>step_id</c>, <c>checklist_id</c>, to its
/// <c>…/api/organizations/{org}/file</c> with its three headers.
/// </summary>
public static class TallyfySeed
{
    public static async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(HttpClient client, TestUser user, byte[] bytes, string fileName, string formFieldId, string runId, long checklistId)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(fileName.EndsWith(".jpg", StringComparison.Ordinal) ? "image/jpeg" : "application/octet-stream");
        using var formData = new MultipartFormDataContent
        {
            { file, "name", fileName },
            { new StringContent("local"), "source" },
            { new StringContent(formFieldId), "uploaded_from" },
            { new StringContent("Run"), "subject_type" },
            { new StringContent(runId), "subject_id" },
            { new StringContent("step_id_xyz789"), "step_id" },
            { new StringContent(checklistId.ToString(CultureInfo.InvariantCulture)), "checklist_id" },
        };
        using var request = Authorized(HttpMethod.Post, $"/api/organizations/{user.Id}/file", user.Hash); // The seed's apiUrl: https://go.tallyfy.com/api/organizations/${orgId}/file
        request.Content = formData;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>
    /// The seed's kick-off variant of the same upload: <c>uploaded_from</c> <c>ko_field</c>, <c>subject_type</c>
    /// <c>Checklist</c>, <c>subject_id</c> the template's id (<c>checklistIdForKO</c>), no step or checklist fields; the file first.
    /// </summary>
    public static async Task<(HttpStatusCode Status, JsonObject Body)> KickoffUploadAsync(HttpClient client, TestUser user, byte[] bytes, string fileName, long checklistId, string uploadedFrom = "ko_field")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var formData = new MultipartFormDataContent
        {
            { file, "name", fileName },
            { new StringContent("local"), "source" },
            { new StringContent(uploadedFrom), "uploaded_from" },
            { new StringContent("Checklist"), "subject_type" },
            { new StringContent(checklistId.ToString(CultureInfo.InvariantCulture)), "subject_id" },
        };
        using var request = Authorized(HttpMethod.Post, $"/api/organizations/{user.Id}/file", user.Hash);
        request.Content = formData;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>A request with the seed's headers: Authorization Bearer, Accept JSON, X-Tallyfy-Client.</summary>
    public static HttpRequestMessage Authorized(HttpMethod method, string path, string hash)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hash);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add("X-Tallyfy-Client", "APIClient");
        return request;
    }
}
