using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// <c>Authorization: Bearer osk_…</c>. Missing, malformed, unknown and revoked keys all end in a
/// 401 <c>UNAUTHORIZED</c> envelope. Failed attempts count against the client address; past the
/// limit a failure is 429 <c>RATE_LIMITED</c> instead, while a valid key from the same address still
/// passes (one client's failures never lock out another partner behind the same address).
/// </summary>
public sealed class BearerKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyAuthenticator authenticator,
    FailedAuthLimiter failedAuthLimiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = PartnerPrincipal.Scheme;

    private enum Failure
    {
        None,
        Missing,
        Invalid,
    }

    private Failure _failure = Failure.Missing;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            _failure = Failure.Missing;
            return AuthenticateResult.NoResult();
        }

        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            _failure = Failure.Invalid;
            return AuthenticateResult.Fail("not a Bearer credential");
        }

        var key = await authenticator.AuthenticateAsync(header[bearer.Length..].Trim(), Context.RequestAborted);
        if (key is null)
        {
            _failure = Failure.Invalid;
            return AuthenticateResult.Fail("invalid or revoked key");
        }

        _failure = Failure.None;
        var principal = PartnerPrincipal.Create(key.PartnerId, key.KeyId, key.Prefix, key.Livemode, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        var (allowed, retryAfter) = _failure == Failure.Invalid
            ? await failedAuthLimiter.TryRecordFailureAsync(FailedAuthLimiter.ClientAddress(Context), Context.RequestAborted)
            : (true, TimeSpan.Zero);
        switch (_failure)
        {
            case Failure.Invalid when !allowed:
                await ErrorResponseWriter.WriteAsync(
                    Context,
                    StatusCodes.Status429TooManyRequests,
                    ErrorCodes.RateLimited,
                    "too many failed authentication attempts from this address; retry later",
                    PartnerRateLimitMiddleware.Seconds(retryAfter));
                return;
            case Failure.Invalid:
                Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                await ErrorResponseWriter.WriteAsync(
                    Context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "API key is invalid or revoked");
                return;
            default:
                Response.Headers.WWWAuthenticate = "Bearer";
                await ErrorResponseWriter.WriteAsync(
                    Context,
                    StatusCodes.Status401Unauthorized,
                    ErrorCodes.Unauthorized,
                    "missing API key: send Authorization: Bearer osk_…");
                return;
        }
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorResponseWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "this key may not do that");
}
