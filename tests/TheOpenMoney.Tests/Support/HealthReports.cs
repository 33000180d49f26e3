namespace TheOpenMoney.Tests.Support;

/// <summary>Reading <c>GET /health</c> in tests that assert its content.</summary>
public static class HealthReports
{
    /// <summary>
    /// The first report (the envelope's <c>data</c>) in which every component's check completed. Each check is
    /// bounded (1.5 s) and so is the whole report: on a busy machine the first request after a start can meet
    /// a cold check ("error": "timeout", or a 503), which is the bound working, not what these tests look at.
    /// </summary>
    public static Task<JsonElement> CompletedAsync(ApiFactory factory) =>
        Eventually.WaitAsync(
            async () =>
            {
                using var response = await factory.CreateClient().GetAsync("/api/v1/health");
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return response.IsSuccessStatusCode ? body.GetProperty("data").Clone() : default;
            },
            data => data.ValueKind == JsonValueKind.Object
                && data.GetProperty("components").EnumerateObject().All(c => !c.Value.TryGetProperty("error", out _)),
            "a health report whose checks all completed");
}
