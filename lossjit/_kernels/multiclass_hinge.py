"""Kernels of the multi-class hinge losses over rows of ``C`` class scores.

For row n with scores ``x`` (classes last), class index ``y`` or class
probabilities ``t``, and margin ``m``:

* ``"multi_margin"`` (torch's ``multi_margin_loss``: Weston-Watkins divided by C), with
  ``z_i = m - x_y + x_i`` and class weight ``w_y`` (1 when absent)::

      l_n = w_y / C * sum_{i != y} max(0, z_i)^p,  p in {1, 2}
      dl/dx_i = w_y / C * p max(0, z_i)^(p - 1) [z_i > 0]  (i != y),   dl/dx_y = -sum_{i != y} dl/dx_i

* ``"crammer_singer"``, with ``j*`` the first arg-max of ``x_j`` over ``j != y``
  and ``z = m + x_{j*} - x_y``::

      l_n = max(0, z),   dl/dx_{j*} = [z > 0],   dl/dx_y = -[z > 0]

* ``"categorical_hinge"`` (Keras), with ``c*`` the first arg-max of ``(1 - t_c) x_c``::

      pos = sum_c t_c x_c,   neg = (1 - t_{c*}) x_{c*},   z = neg - pos + 1
      l_n = max(0, z),   dl/dx_c = [z > 0] ([c = c*] (1 - t_c) - t_c)

  A class index y is the one-hot t, with pos = x_y and (1 - t_y) x_y = 0 exactly
  (Keras's products 0 * x are NaN for an infinite x).

Every hinge has derivative 0 at its kink ``z = 0``, as torch's multi_margin_loss
(it tests ``z > 0``). A NaN score makes its row's loss NaN (torch's
multi_margin_loss drops it, since ``NaN > 0`` is false), and its gradient NaN at
the label's score: the arg-max above takes the first NaN.

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold
``n_rows * n_classes`` elements, ``labels`` ``n_rows`` (or none, when ``target``
is given). Empty ``row_weights``/``class_weights`` mean ones, empty
``row_losses``/``grad`` mean "do not write". Element maths is in ``y_pred``'s
dtype; sums over classes and rows are float64, over fixed blocks of rows added in
order, so the result does not depend on the number of threads.
"""

import numpy as np
from numba import njit

from .._config import CALLEE, INLINE
from .rows import RowKernel
from .typed import constant
from .vector_math import from_order_key, order_key

_ZERO, _ONE, _TWO, _MINUS_INFINITY = (constant(value) for value in (0.0, 1.0, 2.0, -np.inf))


@njit(**CALLEE)
def _positive_part(z):
    """max(0, z), NaN for NaN."""
    return _ZERO if z <= 0 else z


@njit(**CALLEE)
def _step(z):
    """The hinge's derivative: 1 for z > 0, 0 for z <= 0 (the kink too), NaN for NaN."""
    return _ONE if z > 0 else (_ZERO if z <= 0 else z)


@njit(**INLINE)
def _first_arg_max(scores, label, skip_label):
    """The first c of the largest scores[c], or the first NaN if there is one, over every class, or every class
    but ``label`` if ``skip_label`` (then ``label`` if there is no other class).

    Two loops that vectorise: the maximum as the largest :func:`order_key` (a float max does not), then the
    first index at it and the first NaN, as minima. (Scores computed inside these loops from the targets,
    beside the loops' other branches, made the blocks 25x slower at 1,000 classes.)
    """
    n_classes = scores.size
    floor = order_key(scores.dtype.type(-np.inf))  # no score lies below
    peak = floor
    for c in range(n_classes):
        key = order_key(scores[c])
        key = floor if skip_label and c == label else key
        peak = key if key > peak else peak
    peak_score = from_order_key(peak)
    first_peak = n_classes
    first_nan = n_classes
    for c in range(n_classes):
        score = scores[c]
        skipped = skip_label and c == label
        first_peak = min(first_peak, n_classes if skipped or score != peak_score else c)
        first_nan = min(first_nan, n_classes if skipped or score == score else c)
    if first_nan < n_classes:
        return first_nan
    return first_peak if first_peak < n_classes else label


def _multi_margin(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale, row_losses,
                  grad, start, stop):
    """float64 sum of row_weight * l_n over rows [start, stop); params = (margin, power, unused)."""
    margin = y_pred.dtype.type(params[0])
    power = params[1]
    cast = y_pred.dtype.type
    total = 0.0
    for r in range(start, stop):
        first = r * n_classes
        row = y_pred[first:first + n_classes]
        label = labels[r]
        shift = margin - row[label]  # z_i = shift + x_i, as torch sums it
        hinge_sum = 0.0
        if power == 1:
            for c in range(n_classes):
                hinge_sum += _ZERO if c == label else _positive_part(shift + row[c])
        else:
            for c in range(n_classes):
                h = _positive_part(shift + row[c])
                hinge_sum += _ZERO if c == label else h * h
        class_weight = _ONE if class_weights.size == 0 else class_weights[label]
        w = _ONE if row_weights.size == 0 else row_weights[r // inner]
        loss = class_weight * hinge_sum / n_classes
        if row_losses.size > 0:
            row_losses[r] = w * loss
        total += w * loss
        if grad.size > 0:
            coefficient = cast(float(scale) * w * class_weight / n_classes)
            g_row = grad[first:first + n_classes]
            if power == 1:
                for c in range(n_classes):
                    g_row[c] = _ZERO if c == label else coefficient * _step(shift + row[c])
            else:
                for c in range(n_classes):
                    g_row[c] = _ZERO if c == label else _TWO * coefficient * _positive_part(shift + row[c])
            label_slope = 0.0  # in a loop that stores nothing (see dice.py)
            for c in range(n_classes):
                label_slope += g_row[c]
            g_row[label] = -label_slope
    return total


def _crammer_singer(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale, row_losses,
                    grad, start, stop):
    """float64 sum of row_weight * l_n over rows [start, stop); params = (margin, unused, unused)."""
    margin = y_pred.dtype.type(params[0])
    total = 0.0
    for r in range(start, stop):
        first = r * n_classes
        row = y_pred[first:first + n_classes]
        label = labels[r]
        rival = _first_arg_max(row, label, True)
        z = margin + row[rival] - row[label] if rival != label else _MINUS_INFINITY
        w = _ONE if row_weights.size == 0 else row_weights[r // inner]
        loss = _positive_part(z)
        if row_losses.size > 0:
            row_losses[r] = w * loss
        total += w * float(loss)
        if grad.size > 0:
            g_row = grad[first:first + n_classes]
            for c in range(n_classes):
                g_row[c] = _ZERO
            if rival != label:
                slope = y_pred.dtype.type(scale) * w * _step(z)
                g_row[rival] = slope
                g_row[label] = -slope
    return total


def _categorical_hinge(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale, row_losses,
                       grad, start, stop):
    """float64 sum of row_weight * l_n over rows [start, stop); params unused."""
    cast = y_pred.dtype.type
    scores = np.empty(n_classes, y_pred.dtype)  # s_c = (1 - t_c) x_c
    total = 0.0
    for r in range(start, stop):
        first = r * n_classes
        row = y_pred[first:first + n_classes]
        if labels.size > 0:  # one-hot t: s_c = x_c but s_y = 0 (not 0 x_y, NaN for an infinite x_y)
            label = labels[r]
            positive = float(row[label])
            for c in range(n_classes):
                scores[c] = row[c]
            scores[label] = _ZERO
        else:
            label = -1
            target_row = target[first:first + n_classes]
            positive = 0.0
            for c in range(n_classes):
                positive += target_row[c] * row[c]
            for c in range(n_classes):
                scores[c] = (_ONE - target_row[c]) * row[c]
        rival = _first_arg_max(scores, label, False)
        z = float(scores[rival]) - positive + 1.0
        w = _ONE if row_weights.size == 0 else row_weights[r // inner]
        loss = _positive_part(z)
        if row_losses.size > 0:
            row_losses[r] = w * loss
        total += w * loss
        if grad.size > 0:
            slope = cast(float(scale) * w * _step(z))
            g_row = grad[first:first + n_classes]
            if labels.size > 0:
                for c in range(n_classes):
                    g_row[c] = _ZERO
                g_row[label] = -slope
                if rival != label:
                    g_row[rival] = slope
            else:
                for c in range(n_classes):
                    g_row[c] = -slope * target_row[c]
                g_row[rival] += slope * (_ONE - target_row[rival])
    return total


#: The block of each loss, run by the shared row driver.
multiclass_hinge = RowKernel("multiclass_hinge", {"multi_margin": _multi_margin, "crammer_singer": _crammer_singer,
                                                  "categorical_hinge": _categorical_hinge})
