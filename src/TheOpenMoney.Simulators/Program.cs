using TheOpenMoney.Simulators;

WebApplication app;
try
{
    app = SimulatorApp.Create(args);
}
catch (SimulatorStateFileException ex)
{
    // One clear line (the file and why) instead of a stack trace; the file is left as it is.
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}

await app.RunAsync();
return 0;

// Deliberately not public: the test project also references TheOpenMoney.Api, whose
// `public partial class Program` lives in the global namespace too, and two public
// global `Program` types would make `WebApplicationFactory<Program>` ambiguous (CS0433).
// Host the simulator in-process through SimulatorApp.Create instead.
internal partial class Program;
