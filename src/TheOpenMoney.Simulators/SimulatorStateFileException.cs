namespace TheOpenMoney.Simulators;

/// <summary>
/// The processor's state file (<see cref="SimulatorOptions.StateFile"/>) exists but cannot be loaded; start-up
/// stops rather than continue empty and overwrite it. The message names the file.
/// </summary>
public sealed class SimulatorStateFileException : Exception
{
    public SimulatorStateFileException()
        : this("the simulator state file cannot be loaded")
    {
    }

    public SimulatorStateFileException(string message)
        : base(message)
    {
    }

    public SimulatorStateFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SimulatorStateFileException(string path, string reason, Exception innerException)
        : base($"Simulator state file '{path}' cannot be loaded: {reason.TrimEnd('.')}. Fix it, or delete it to start with an empty processor.", innerException)
    {
        Path = path;
    }

    /// <summary>The file's full path.</summary>
    public string? Path { get; }
}
