"""A finite-difference check of any lossjit loss's gradient (and hessian).

``check_grad(loss, y_true, y_pred, **options)`` compares ``loss.grad`` with
central differences of the loss, in float64, on a random subset of
``y_pred``'s elements (for a loss of several arrays, ``check_grad(loss, *arrays)``: of each
differentiable input's); for a :class:`PointwiseLoss` it also compares
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


def check_grad(loss, *arrays, sample_weight=None, reduction="mean", n_elements=32, step=1e-6, tolerance=1e-6,
               seed=0, **options):
    """Largest relative error of ``loss.grad`` (and ``loss.hessian``) against central differences.

    ``arrays`` are the loss's inputs, ``y_true, y_pred`` (or, for a loss of several arrays, those of
    ``loss.inputs``). Checks ``n_elements`` elements of ``y_pred`` (of each of ``loss.differentiable``)
    drawn at random (all of them if there are fewer), each moved by ``step * max(1, |value|)``. Raises
    :class:`GradientCheckError` naming the worst element when the error exceeds ``tolerance``;
    ``tolerance=None`` never raises.
    """
    names = getattr(loss, "inputs", ("y_true", "y_pred"))
    differentiable = getattr(loss, "differentiable", ("y_pred",))
    if len(arrays) != len(names):
        raise TypeError(f"check_grad({loss.name}, ...) takes the arrays {', '.join(names)}; got {len(arrays)}")
    arrays = [as_array(array, name).astype(np.float64) if name in differentiable else _float64(array, name)
              for array, name in zip(arrays, names)]
    if sample_weight is not None:
        sample_weight = _float64(sample_weight, "sample_weight")
    kwargs = {"sample_weight": sample_weight, **options}
    grads = loss.grad(*arrays, reduction=reduction, **kwargs)  # validates the input first
    if len(differentiable) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    rng = np.random.default_rng(seed)
    # "sum" and "none" are sums of the "none" losses, of which a step moves one or a few:
    # summing the differences of those avoids cancelling two large totals. "mean" is
    # differenced as it is, since losses differ in how they divide (CTC by target lengths).
    differenced = "mean" if reduction == "mean" else "none"
    errors, compared = {}, {}
    for name, grad in zip(differentiable, grads):
        position = names.index(name)
        values = arrays[position]
        chosen = rng.choice(values.size, size=min(n_elements, values.size), replace=False)

        def moved(index, delta, position=position, values=values):
            shifted = values.copy()
            shifted.flat[index] += delta
            return [shifted if k == position else array for k, array in enumerate(arrays)]

        numeric_grad, rounding = np.empty(chosen.size), np.empty(chosen.size)
        for k, index in enumerate(chosen):
            h = step * max(1.0, abs(values.flat[index]))
            forward = np.asarray(loss(*moved(index, h), reduction=differenced, **kwargs))
            backward = np.asarray(loss(*moved(index, -h), reduction=differenced, **kwargs))
            numeric_grad[k] = np.sum(forward - backward) / (2 * h)
            rounding[k] = _rounding(forward, backward, h)
        what = "gradient" if len(differentiable) == 1 else f"gradient in {name}"
        errors[what] = _relative_errors(grad.reshape(-1)[chosen], numeric_grad, rounding)
        compared[what] = chosen, grad.reshape(-1)[chosen], numeric_grad

        if isinstance(loss, PointwiseLoss) and loss.has_hessian:
            hessian = loss.hessian(*arrays, reduction=reduction, **kwargs).reshape(-1)[chosen]
            numeric_hessian, rounding = np.empty(chosen.size), np.empty(chosen.size)
            for k, index in enumerate(chosen):
                h = step * max(1.0, abs(values.flat[index]))
                forward = loss.grad(*moved(index, h), reduction=reduction, **kwargs).flat[index]
                backward = loss.grad(*moved(index, -h), reduction=reduction, **kwargs).flat[index]
                numeric_hessian[k] = (forward - backward) / (2 * h)
                rounding[k] = _rounding(forward, backward, h)
            errors["hessian"] = _relative_errors(hessian, numeric_hessian, rounding)
            compared["hessian"] = chosen, hessian, numeric_hessian

    worst = max(errors, key=lambda what: errors[what].max())
    error = float(errors[worst].max())
    if tolerance is not None and not error <= tolerance:
        k = int(np.argmax(errors[worst]))
        chosen, analytic, numeric = compared[worst]
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
