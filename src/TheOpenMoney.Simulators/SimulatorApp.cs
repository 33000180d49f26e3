namespace TheOpenMoney.Simulators;

/// <summary>
/// Builds the simulator (bicycle processor, supplier and TonRamp fakes); tests host it
/// in-process with <see cref="Create"/>.
/// </summary>
public static class SimulatorApp
{
    /// <summary>
    /// Builds (does not start) the simulator with every route mapped. Options come from the
    /// "Simulator" configuration section, then <paramref name="configure"/>. Pass
    /// <c>["--urls", "http://127.0.0.1:0"]</c> for a free port; after <c>StartAsync()</c>
    /// <c>app.Urls</c> holds the bound address. With <see cref="SimulatorOptions.StateFile"/> set, the processor's
    /// state is loaded from it here; an unreadable file throws <see cref="SimulatorStateFileException"/> naming it.
    /// </summary>
    public static WebApplication Create(string[] args, Action<SimulatorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SimulatorApp).Assembly.GetName().Name,
        });

        var options = new SimulatorOptions();
        builder.Configuration.GetSection(SimulatorOptions.SectionName).Bind(options);
        configure?.Invoke(options);

        // Quiet by default, whatever Logging section an appsettings.json in the working
        // directory (e.g. the API's, in a test output folder) may carry.
        builder.Services.Configure<LoggerFilterOptions>(filter =>
        {
            filter.Rules.Clear();
            filter.MinLevel = options.MinimumLogLevel;
        });

        var clock = options.Clock ?? TimeProvider.System;
        var processor = new ProcessorState(options, clock);
        if (!string.IsNullOrWhiteSpace(options.StateFile))
        {
            // Before anything can serve a request; an unreadable file throws here, naming the file.
            ProcessorStateFile.Load(options.StateFile, processor);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(processor);
        builder.Services.AddSingleton(sp => new SupplierState(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new TonRampState(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<WebhookPusher>();
        if (!string.IsNullOrWhiteSpace(options.StateFile))
        {
            builder.Services.AddHostedService<ProcessorStatePersister>();
        }

        var app = builder.Build();
        app.Use(ProcessorApi.CountAndFailAsync);
        ProcessorApi.Map(app);
        SimControlApi.Map(app);
        SupplierApi.Map(app);
        TonRampApi.Map(app);
        return app;
    }
}
