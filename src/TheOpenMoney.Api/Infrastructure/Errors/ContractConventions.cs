using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>
/// The failures an action can answer with beyond what its shape says (a missing resource, a state
/// conflict, a dependency being down): <c>[Fails(404, 409)]</c> instead of one attribute per status.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FailsAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;
}

/// <summary>
/// What every partner route says in the same way, said once instead of in a stack of attributes on each
/// action: its 200 answer is the envelope its signature returns (<c>ActionResult&lt;ApiResponse&lt;T&gt;&gt;</c>);
/// a body or a query parameter means it can answer 422; and <see cref="FailsAttribute"/> lists the rest,
/// each in the error envelope. (A JSON body still says <c>[Consumes("application/json")]</c> itself: the API
/// description reads the media types from the attribute, not from a filter added here.) An action that says
/// something itself (its own 200, its own media types) keeps it.
/// </summary>
public sealed class ContractConventions : IActionModelConvention
{
    public void Apply(ActionModel action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Controller.Attributes.OfType<ApiControllerAttribute>().FirstOrDefault() is null)
        {
            return;
        }

        var declared = action.Filters.OfType<IApiResponseMetadataProvider>().Select(p => p.StatusCode).ToHashSet();
        if (!declared.Contains(StatusCodes.Status200OK) && SuccessType(action.ActionMethod.ReturnType) is { } success)
        {
            Add(action, new ProducesResponseTypeAttribute(success, StatusCodes.Status200OK));
        }

        var sources = action.Parameters.Select(p => p.BindingInfo?.BindingSource).ToList();
        var hasBody = sources.Contains(BindingSource.Body);
        var failures = action.Attributes.OfType<FailsAttribute>().SelectMany(f => f.Statuses).ToList();
        if ((hasBody || sources.Contains(BindingSource.Query)) && !failures.Contains(StatusCodes.Status422UnprocessableEntity))
        {
            failures.Add(StatusCodes.Status422UnprocessableEntity);
        }

        foreach (var status in failures.Order().Where(s => !declared.Contains(s)))
        {
            Add(action, new ProducesResponseTypeAttribute(typeof(ErrorEnvelope), status));
        }
    }

    /// <summary><c>T</c> of <c>Task&lt;ActionResult&lt;T&gt;&gt;</c> or <c>ActionResult&lt;T&gt;</c>; null for anything else.</summary>
    private static Type? SuccessType(Type returnType)
    {
        var type = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>) ? returnType.GetGenericArguments()[0] : returnType;
        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ActionResult<>) ? type.GetGenericArguments()[0] : null;
    }

    private static void Add(ActionModel action, ProducesResponseTypeAttribute response) => action.Filters.Add(response);
}
