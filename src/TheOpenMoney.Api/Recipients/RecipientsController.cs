using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.Validation;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Recipients;

/// <summary>Checks whether a username can receive Stars or Premium.</summary>
[ApiController]
[Route("api/v1/recipients")]
[Tags("Recipients")]
[Produces("application/json")]
public sealed class RecipientsController(ForMode<IRecipientDirectory> directory) : ControllerBase
{
    /// <summary>Check if a username can receive Stars.</summary>
    /// <remarks><c>can_receive</c> is null with <c>reason: UNKNOWN</c> when the directory cannot say right now.</remarks>
    [HttpGet("stars", Name = "checkStarsRecipient")]
    public async Task<ActionResult<ApiResponse<RecipientResponse>>> Stars([FromQuery] StarsRecipientQuery query, CancellationToken cancellationToken)
    {
        var status = await directory.Get(User.IsLivemode()).CheckAsync(TelegramUsername.Normalize(query.Username), RecipientProduct.Stars, null, cancellationToken);
        return Ok(ApiResponse.Of(RecipientResponse.From(status)));
    }

    /// <summary>Check if a username can receive Premium.</summary>
    /// <remarks><c>months</c> is optional; when given it must be a plan length (3, 6 or 12).</remarks>
    [HttpGet("premium", Name = "checkPremiumRecipient")]
    public async Task<ActionResult<ApiResponse<RecipientResponse>>> Premium([FromQuery] PremiumRecipientQuery query, CancellationToken cancellationToken)
    {
        var status = await directory.Get(User.IsLivemode()).CheckAsync(TelegramUsername.Normalize(query.Username), RecipientProduct.Premium, query.Months, cancellationToken);
        return Ok(ApiResponse.Of(RecipientResponse.From(status)));
    }
}

public class StarsRecipientQuery
{
    /// <summary>Telegram username, with or without <c>@</c>.</summary>
    /// <example>pandus</example>
    [FromQuery(Name = "username")]
    [ContractRequired]
    public string? Username { get; set; }
}

public sealed class PremiumRecipientQuery : StarsRecipientQuery
{
    /// <summary>Optional plan length: 3, 6 or 12.</summary>
    /// <example>3</example>
    [FromQuery(Name = "months")]
    public int? Months { get; set; }
}

internal sealed class StarsRecipientQueryValidator : AbstractValidator<StarsRecipientQuery>
{
    public StarsRecipientQueryValidator() => RuleFor(q => q.Username).TelegramUsername("username");
}

internal sealed class PremiumRecipientQueryValidator : AbstractValidator<PremiumRecipientQuery>
{
    public PremiumRecipientQueryValidator(IOptions<PricingOptions> pricing)
    {
        RuleFor(q => q.Username).TelegramUsername("username");
        When(q => q.Months is not null, () => RuleFor(q => q.Months).PremiumMonths(pricing.Value));
    }
}

public static class RecipientRules
{
    public static IRuleBuilderOptions<T, string?> TelegramUsername<T>(this IRuleBuilder<T, string?> rule, string field) =>
        rule.Must(u => !string.IsNullOrWhiteSpace(u)).WithMessage($"{field} is required")
            .MatchesInFull(Recipients.TelegramUsername.AcceptedPattern)
            .WithMessage($"{field} must be a Telegram username: {Recipients.TelegramUsername.Rule}");
}

/// <param name="Username">The username checked (without <c>@</c>).</param>
/// <param name="CanReceive">True or false; null when the directory could not say.</param>
/// <param name="Reason">Null, <c>NOT_FOUND</c>, <c>NOT_A_USER</c>, <c>ALREADY_PREMIUM</c> or <c>UNKNOWN</c>.</param>
public sealed record RecipientResponse(string Username, bool? CanReceive, [property: TextValues(typeof(RecipientReasons))] string? Reason)
{
    public static RecipientResponse From(RecipientStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new(status.Username, status.CanReceive, status.Reason);
    }
}

public static class RecipientsSetup
{
    public static IServiceCollection AddRecipients(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(RecipientDirectoryOptions.Section);
        services.AddOptions<RecipientDirectoryOptions>()
            .Bind(section)
            .Validate(o => o.Mode is "Simulated" or "Http", "Recipients:Mode must be Simulated or Http")
            .Validate(o => o.Mode != "Http" || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "Recipients:BaseUrl is required in Http mode")
            .ValidateOnStart();
        services.AddContractExamples<RecipientsContractExamples>();
        if (section["Mode"] == "Http")
        {
            services.AddHttpClient<IRecipientDirectory, HttpRecipientDirectory>((sp, client) =>
                    HttpRecipientDirectory.Configure(client, sp.GetRequiredService<IOptions<RecipientDirectoryOptions>>().Value))
                .AddResilience<RecipientDirectoryOptions>(o => o.Http);
        }
        else
        {
            services.AddSingleton<IRecipientDirectory, SimulatedRecipientDirectory>();
        }

        return services;
    }
}
