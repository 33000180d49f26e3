using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// Endpoints that exist only in tests, to drive framework failures (bad JSON, wrong content type,
/// an unhandled exception) through the real pipeline under <c>/api/v1</c>.
/// </summary>
[ApiController]
[Route("api/v1/_test")]
[ApiExplorerSettings(IgnoreApi = true)]
public sealed class TestOnlyController : ControllerBase
{
    public const string SecretDetail = "connection string Password=hunter2 leaked";

    [HttpPost("echo")]
    [Consumes("application/json")]
    public ActionResult<ApiResponse<EchoBody>> Echo([FromBody] EchoBody body) => Ok(ApiResponse.Of(body));

    [HttpGet("boom")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "MVC actions are instance methods")]
    public IActionResult Boom() => throw new InvalidOperationException(SecretDetail);

    [HttpPost("limited")]
    [OrderCreationRateLimit]
    public ActionResult<ApiResponse<string>> Limited() => Ok(ApiResponse.Of("ok"));
}

public sealed record EchoBody(string Name, int Count);
