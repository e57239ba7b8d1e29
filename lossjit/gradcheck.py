"""A finite-difference check of any lossjit loss's gradient (and hessian).

``check_grad(loss, y_true, y_pred, **options)`` compares ``loss.grad`` with
central differences of the loss, in float64, on a random subset of
``y_pred``'s elements; for a :class:`PointwiseLoss` it also compares
``loss.hessian`` with central differences of ``loss.grad``. It returns the
largest relative error found and raises :class:`GradientCheckError` when
that error exceeds ``tolerance`` (pass ``tolerance=None`` to only measure).

The relative error of element i is
``max(0, |a_i - f_i| - r_i) / max(|a_i|, |f_i|, floor)`` for analytic ``a``
and finite-difference ``f``, where ``r_i`` is what float64 rounding of the
differenced losses can explain (8 ulps of each, divided by the step) and
``floor`` is 1e-6 times the largest magnitude among the checked elements (an
element whose derivative is tiny next to the others is judged on the common
scale).

``"sum"`` and ``"none"`` are differenced term by term: the ``"none"`` losses
that a step moves. ``"mean"`` is differenced as a whole (losses divide in
their own ways: CTC by target lengths), so ``r_i`` grows with the loss and
the check loses sensitivity on large arrays: check those with
``reduction="sum"``. Finite differences need a smooth loss: keep the checked points at least a
step away from kinks (``mae`` at ``p = y``, ``hinge`` at ``y p = 1``), from
probability clipping at ``EPSILON`` and from the bounds of the inputs.
"""

import numpy as np

from ._loss import PointwiseLoss
from ._validation import as_array


class GradientCheckError(AssertionError):
    """An analytic derivative disagrees with finite differences."""


def _float64(array, name):
    array = as_array(array, name)
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def check_grad(loss, y_true, y_pred, *, sample_weight=None, reduction="mean", n_elements=32, step=1e-6,
               tolerance=1e-6, seed=0, **options):
    """Largest relative error of ``loss.grad`` (and ``loss.hessian``) against central differences.

    Checks ``n_elements`` elements of ``y_pred`` drawn at random (all of them
    if there are fewer), each moved by ``step * max(1, |y_pred_i|)``. Raises
    :class:`GradientCheckError` naming the worst element when the error
    exceeds ``tolerance``; ``tolerance=None`` never raises.
    """
    y_true = _float64(y_true, "y_true")
    y_pred = as_array(y_pred, "y_pred").astype(np.float64)
    if sample_weight is not None:
        sample_weight = _float64(sample_weight, "sample_weight")
    kwargs = {"sample_weight": sample_weight, **options}
    grad = loss.grad(y_true, y_pred, reduction=reduction, **kwargs).reshape(-1)  # validates the input first
    rng = np.random.default_rng(seed)
    chosen = rng.choice(y_pred.size, size=min(n_elements, y_pred.size), replace=False)

    def moved(index, delta):
        shifted = y_pred.copy()
        shifted.flat[index] += delta
        return shifted

    grad = grad[chosen]
    # "sum" and "none" are sums of the "none" losses, of which a step moves one or a few:
    # summing the differences of those avoids cancelling two large totals. "mean" is
    # differenced as it is, since losses differ in how they divide (CTC by target lengths).
    differenced = "mean" if reduction == "mean" else "none"
    numeric_grad, rounding = np.empty(chosen.size), np.empty(chosen.size)
    for k, index in enumerate(chosen):
        h = step * max(1.0, abs(y_pred.flat[index]))
        forward = np.asarray(loss(y_true, moved(index, h), reduction=differenced, **kwargs))
        backward = np.asarray(loss(y_true, moved(index, -h), reduction=differenced, **kwargs))
        numeric_grad[k] = np.sum(forward - backward) / (2 * h)
        rounding[k] = _rounding(forward, backward, h)
    errors = {"gradient": _relative_errors(grad, numeric_grad, rounding)}

    if isinstance(loss, PointwiseLoss) and loss.has_hessian:
        hessian = loss.hessian(y_true, y_pred, reduction=reduction, **kwargs).reshape(-1)[chosen]
        numeric_hessian, rounding = np.empty(chosen.size), np.empty(chosen.size)
        for k, index in enumerate(chosen):
            h = step * max(1.0, abs(y_pred.flat[index]))
            forward = loss.grad(y_true, moved(index, h), reduction=reduction, **kwargs).flat[index]
            backward = loss.grad(y_true, moved(index, -h), reduction=reduction, **kwargs).flat[index]
            numeric_hessian[k] = (forward - backward) / (2 * h)
            rounding[k] = _rounding(forward, backward, h)
        errors["hessian"] = _relative_errors(hessian, numeric_hessian, rounding)

    worst = max(errors, key=lambda name: errors[name].max())
    error = float(errors[worst].max())
    if tolerance is not None and not error <= tolerance:
        k = int(np.argmax(errors[worst]))
        analytic, numeric = (grad, numeric_grad) if worst == "gradient" else (hessian, numeric_hessian)
        raise GradientCheckError(
            f"{loss.name}: {worst} relative error {error:.3g} > tolerance {tolerance:g} at flat element "
            f"{int(chosen[k])}: analytic {analytic[k]!r}, finite differences {numeric[k]!r}")
    return error


def _rounding(forward, backward, h):
    """What float64 rounding can add to a central difference: 8 ulps of each term that changed."""
    changed = forward != backward
    return 8 * np.finfo(np.float64).eps * float(np.sum(np.abs(forward[changed]) + np.abs(backward[changed]))) / (2 * h)


def _relative_errors(analytic, numeric, rounding):
    magnitude = np.maximum(np.abs(analytic), np.abs(numeric))
    floor = 1e-6 * magnitude.max(initial=0.0)
    denominator = np.maximum(magnitude, floor)
    excess = np.abs(analytic - numeric) - rounding
    excess = np.where(np.isnan(excess), np.inf, np.maximum(excess, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(excess == 0, 0.0, excess / denominator)
