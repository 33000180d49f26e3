namespace TheOpenMoney.Simulators;

/// <summary>The wrapper every fake's routes share: the fake's state from the container, and rejected input answered as <c>{"error": …}</c>.</summary>
internal static class StateHandler
{
    public static RequestDelegate For<TState>(Func<HttpContext, TState, Task> handler)
        where TState : notnull =>
        async context =>
        {
            var state = context.RequestServices.GetRequiredService<TState>();
            try
            {
                await handler(context, state);
            }
            catch (SimulatorInputException ex)
            {
                await Json.WriteErrorAsync(context, ex.StatusCode, ex.Message);
            }
        };
}
