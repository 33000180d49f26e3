using TheOpenMoney.Api.Webhooks;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Fulfillment;
using TheOpenMoney.Api.Health;
using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Infrastructure.Bench;
using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Api.Infrastructure.Logging;
using TheOpenMoney.Api.Infrastructure.Observability;
using TheOpenMoney.Api.Infrastructure.RateLimiting;
using TheOpenMoney.Api.Infrastructure.Validation;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Partners;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;
using TheOpenMoney.Api.Sandbox;
using TheOpenMoney.Api.Telegram;
using TheOpenMoney.Api.TonRamp;

var cli = OperatorCli.TryParse(args);
var builder = WebApplication.CreateBuilder(cli is null ? args : []);
// No "Server: Kestrel" on any answer: nothing says what runs here.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

builder.AddAppLogging(everythingToStdErr: cli is not null);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddData(builder.Configuration);
builder.Services.AddApiControllers();
builder.Services.AddApiValidation();
builder.Services.AddPartners(builder.Configuration);
builder.Services.AddPricing(builder.Configuration);
builder.Services.AddRecipients(builder.Configuration);
builder.Services.AddBalance();
builder.Services.AddOrders(builder.Configuration);
builder.Services.AddPayments(builder.Configuration);
builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddMoneyOut(builder.Configuration);
builder.Services.AddFulfillment(builder.Configuration);
builder.Services.AddTonRamp(builder.Configuration);
builder.Services.AddSandbox();
builder.Services.AddTelegramBot(builder.Configuration);
builder.Services.AddApiRateLimiting(builder.Configuration);
builder.Services.AddApiSwagger();
builder.Services.AddApiHealth();
builder.Services.AddObservability(builder.Configuration);

var app = builder.Build();

if (cli is not null)
{
    return await cli.RunAsync(app.Services, Console.Out, Console.Error, app.Lifetime.ApplicationStopping);
}

if (app.Configuration.GetValue("Database:MigrateOnStartup", true))
{
    await app.Services.GetRequiredService<Migrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
}

app.UseClientAddress();
app.UseAppRequestLogging();
app.UseMiddleware<ErrorHandlingMiddleware>();
app.UseStatusCodePages(ErrorHandlingMiddleware.WriteStatusCodeEnvelope);
app.UseApiSwagger();
app.UseRouting();
app.UseAuthentication();
app.UsePartnerRateLimits();
app.UseAuthorization();
app.MapControllers().RequireAuthorization();
app.MapGet("/", () => Results.Redirect("/swagger")).AllowAnonymous().ExcludeFromDescription();
app.MapBenchEndpoints();

await app.RunAsync();
return 0;

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
