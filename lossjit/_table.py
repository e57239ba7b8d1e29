"""``loss_table()``: one row per registered loss, for the course to render."""


def loss_table():
    """Rows (dicts) for every loss in ``lossjit.losses``, in registry order.

    Keys: name, task, input, convex, robust_to_outliers, options (name ->
    default), hessian (whether ``.hessian`` exists), formula and gradient (LaTeX).
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
        }
        for name, loss in losses.items()
    ]
