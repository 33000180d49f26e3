using System.Reflection;
using Microsoft.OpenApi;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>Swagger UI at <c>/swagger</c>, the document at <c>/swagger/v1/swagger.json</c>, with the Bearer scheme.</summary>
public static class SwaggerSetup
{
    public static IServiceCollection AddApiSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSingleton<DocumentedLimits>();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "TheOpenMoney partner API",
                Version = "v1",
                Description =
                    "Buy Telegram Stars and Premium for any username and pay in TON. Get a key from the bot (/api), " +
                    "then send `Authorization: Bearer osk_…`. Every response is an envelope: " +
                    "`{\"ok\": true, \"data\": …}` or `{\"ok\": false, \"error_code\": \"…\", \"error_message\": \"…\", \"data\": null}`. " +
                    "Money is exact: a TON amount is a decimal number (`format: decimal`, at most 9 fraction digits) with an exact twin " +
                    "in nanoTON (1 TON = 10⁹ nanoTON) as a string of digits, named with `ton` replaced by `nanoton` " +
                    "(`price_ton` → `price_nanoton`, `ton_received` → `nanoton_received`): read the twin wherever a rounding would cost money.",
                Contact = new OpenApiContact
                {
                    Name = "TheOpenMoney partner support",
                    Url = new Uri("https://theopenmoney.io/support"),
                    Email = "partners@theopenmoney.io",
                },
                License = new OpenApiLicense { Name = "Proprietary: for TheOpenMoney partners", Url = new Uri("https://theopenmoney.io/terms") },
            });
            options.AddSecurityDefinition(PartnerPrincipal.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "osk_…",
                Description = "Your partner key from the Telegram bot (/api), e.g. `osk_AbC1…`.",
            });
            options.OperationFilter<ContractResponsesOperationFilter>();
            options.OperationFilter<ContractExamplesOperationFilter>();
            options.OperationFilter<IdempotencyOperationFilter>();
            options.SchemaFilter<ContractSchemaFilter>();
            options.ParameterFilter<ContractParameterFilter>();
            options.DocumentFilter<ResponseSchemasDocumentFilter>();
            options.DocumentFilter<ContractDocumentPartsFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                options.IncludeXmlComments(xml, includeControllerXmlComments: true);
            }

            options.SupportNonNullableReferenceTypes();
            // Money is never a double: decimals are declared decimal (NSwag and Kiota map them to decimal),
            // and each TON amount has its exact nanoTON twin as a string (ContractSchemaFilter adds multipleOf).
            options.MapType<decimal>(() => new OpenApiSchema { Type = JsonSchemaType.Number, Format = "decimal" });
            options.MapType<Nanoton>(() => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = Nanoton.Pattern });
            options.MapType<BaseUnits>(() => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = Nanoton.Pattern });
            options.CustomSchemaIds(SchemaId);
        });
        return services;
    }

    /// <summary><c>ApiResponse&lt;Page&lt;OrderResponse&gt;&gt;</c> → <c>ApiResponseOfPageOfOrderResponse</c>.</summary>
    internal static string SchemaId(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}Of{string.Join("And", type.GetGenericArguments().Select(SchemaId))}"
        : type.Name;

    /// <summary>The server a document without <c>Api:PublicUrl</c> names: the run command's (<c>scripts/run.sh</c>).</summary>
    public const string LocalRunUrl = "http://127.0.0.1:8080";

    public static WebApplication UseApiSwagger(this WebApplication app)
    {
        // servers: Api:PublicUrl where the API is published, else the local run's address: an absolute URL,
        // so a generated client (Kiota, NSwag) has a usable default base address either way.
        var publicUrl = app.Configuration["Api:PublicUrl"]?.TrimEnd('/');
        var server = string.IsNullOrEmpty(publicUrl)
            ? new OpenApiServer { Url = LocalRunUrl, Description = "The local run (scripts/run.sh). A published instance names its own (Api:PublicUrl)." }
            : new OpenApiServer { Url = publicUrl, Description = "TheOpenMoney partner API" };
        app.UseSwagger(options =>
        {
            // OpenAPI 3.1 (JSON Schema 2020-12): null is a type, so "this object or null" is exact.
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.PreSerializeFilters.Add((document, _) => document.Servers = [server]);
        });
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "TheOpenMoney API v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "TheOpenMoney partner API";
            options.EnablePersistAuthorization();
            // /swagger/index.html#/Orders/createStarsOrder opens that operation: links to one route in docs and chats.
            options.EnableDeepLinking();
        });
        return app;
    }
}
