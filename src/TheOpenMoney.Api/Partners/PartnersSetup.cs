using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Partners;

public static class PartnersSetup
{
    /// <summary>
    /// Keys and the Bearer scheme; the default policy ("a valid key") is applied to every
    /// controller by <c>MapControllers().RequireAuthorization()</c>, so unknown routes stay 404.
    /// </summary>
    public static IServiceCollection AddPartners(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiKeyOptions>()
            .Bind(configuration.GetSection(ApiKeyOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ApiKeyHasher>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyListenerState>();
        if (configuration.GetSection(ApiKeyOptions.Section).GetValue(nameof(ApiKeyOptions.CacheEnabled), true))
        {
            // Waits inside its run (the LISTEN); a lost connection is retried after 200 ms, doubling to 5 s.
            services.AddBackgroundJob<ApiKeyRevocationListener>(job =>
            {
                job.Interval = TimeSpan.Zero;
                job.FailureBackoff = TimeSpan.FromMilliseconds(200);
                job.FailureBackoffCap = TimeSpan.FromSeconds(5);
            });
        }

        services.AddScoped<PartnerKeyService>();
        services.AddOperatorCommand<KeysCreateCommand>();
        services.AddOperatorCommand<KeysRevokeCommand>();
        services.AddContractExamples<PartnersContractExamples>();
        services.AddAuthentication(BearerKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerKeyAuthenticationHandler>(BearerKeyAuthenticationHandler.SchemeName, null);
        // The policy names no scheme: the principal is the one UseAuthentication set with the default (and only) scheme.
        // Naming it made authorization authenticate again and merge the two principals on every request.
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .Build());
        return services;
    }
}
