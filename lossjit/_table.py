"""``loss_table()``: one row per registered loss, for the course to render."""


def loss_table():
    """Rows (dicts) for every loss in ``lossjit.losses``, in registry order.

    Keys: name, task, input, convex, robust_to_outliers, options (name ->
    default), hessian (whether ``.hessian`` exists), formula and gradient (LaTeX), arrays (the
    arguments the loss takes, ``("y_true", "y_pred")`` or a loss of several arrays' ``inputs``) and
    differentiable (those ``.grad`` differentiates).
    """
    from . import PointwiseLoss, losses

    return [
        {
            "name": name,
            "task": loss.properties["task"],
            "input": loss.properties["input"],
            "convex": loss.properties["convex"],
            "robust_to_outliers": loss.properties["robust_to_outliers"],
            "options": dict(loss.options),
            "hessian": isinstance(loss, PointwiseLoss) and loss.has_hessian,
            "formula": loss.formula,
            "gradient": loss.gradient,
            "arrays": getattr(loss, "inputs", ("y_true", "y_pred")),
            "differentiable": getattr(loss, "differentiable", ("y_pred",)),
        }
        for name, loss in losses.items()
    ]
