using TheOpenMoney.Simulators;

var app = SimulatorApp.Create(args);
await app.RunAsync();

// Deliberately not public: the test project also references TheOpenMoney.Api, whose
// `public partial class Program` lives in the global namespace too, and two public
// global `Program` types would make `WebApplicationFactory<Program>` ambiguous (CS0433).
// Host the simulator in-process through SimulatorApp.Create instead.
internal partial class Program;
