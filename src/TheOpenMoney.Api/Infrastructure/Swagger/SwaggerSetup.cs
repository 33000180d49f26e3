using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>Swagger UI at <c>/swagger</c>, the document at <c>/swagger/v1/swagger.json</c>, with the Bearer scheme.</summary>
public static class SwaggerSetup
{
    public static IServiceCollection AddApiSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "TheOpenMoney partner API",
                Version = "v1",
                Description =
                    "Buy Telegram Stars and Premium for any username and pay in TON. Get a key from the bot (/api), " +
                    "then send `Authorization: Bearer osk_…`. Every response is an envelope: " +
                    "`{\"ok\": true, \"data\": …}` or `{\"ok\": false, \"error_code\": \"…\", \"error_message\": \"…\", \"data\": null}`.",
            });
            options.AddSecurityDefinition(BearerKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "osk_…",
                Description = "Your partner key from the Telegram bot (/api), e.g. `osk_AbC1…`.",
            });
            options.OperationFilter<ErrorResponsesOperationFilter>();
            options.OperationFilter<SeedExamplesOperationFilter>();
            options.OperationFilter<IdempotencyOperationFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                options.IncludeXmlComments(xml, includeControllerXmlComments: true);
            }

            options.SupportNonNullableReferenceTypes();
            options.CustomSchemaIds(SchemaId);
        });
        return services;
    }

    /// <summary><c>ApiResponse&lt;Page&lt;OrderResponse&gt;&gt;</c> → <c>ApiResponseOfPageOfOrderResponse</c>.</summary>
    private static string SchemaId(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}Of{string.Join("And", type.GetGenericArguments().Select(SchemaId))}"
        : type.Name;

    public static WebApplication UseApiSwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "TheOpenMoney API v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "TheOpenMoney partner API";
            options.EnablePersistAuthorization();
        });
        return app;
    }

    /// <summary>
    /// Documents the envelope on every failure an operation can produce: 401/429 (and the Bearer
    /// requirement) on keyed endpoints, 500 everywhere, plus whatever the action declares.
    /// </summary>
    private sealed class ErrorResponsesOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var envelope = context.SchemaGenerator.GenerateSchema(typeof(ErrorEnvelope), context.SchemaRepository);
            operation.Responses ??= [];
            if (!anonymous)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(BearerKeyAuthenticationHandler.SchemeName, context.Document)] = [],
                });
                Add(operation, envelope, "401", "Missing, invalid or revoked key (`UNAUTHORIZED`).");
                Add(operation, envelope, "429", "Rate limited (`RATE_LIMITED`); see `Retry-After`.");
            }

            Add(operation, envelope, "500", "Unexpected failure (`INTERNAL_ERROR`, with `trace_id`).");
        }

        private static void Add(OpenApiOperation operation, IOpenApiSchema envelope, string status, string description)
        {
            if (operation.Responses!.ContainsKey(status))
            {
                return;
            }

            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    ["application/json"] = new OpenApiMediaType { Schema = envelope },
                },
            };
        }
    }
}
