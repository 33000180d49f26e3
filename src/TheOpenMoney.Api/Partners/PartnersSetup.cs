using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace TheOpenMoney.Api.Partners;

public static class PartnersSetup
{
    /// <summary>Keys, the Bearer scheme, and "a key is required" as the default for every endpoint.</summary>
    public static IServiceCollection AddPartners(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiKeyOptions>()
            .Bind(configuration.GetSection(ApiKeyOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ApiKeyHasher>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddScoped<PartnerKeyService>();
        services.AddAuthentication(BearerKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerKeyAuthenticationHandler>(BearerKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(BearerKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .Build());
        return services;
    }
}
