"""Kernel of the sparsemax loss (Martins & Astudillo 2016) over rows of ``C`` logits.

``sparsemax(z) = p``, the Euclidean projection of z onto the probability simplex:
``p_c = max(z_c - tau, 0)`` with the threshold tau where ``sum_c p_c = 1``. For target
coefficients ``t_c`` (one-hot for a class index y, class probabilities otherwise) the loss is::

    l_n = -t.z + 1/2 sum_{c in S} (z_c^2 - tau^2) + 1/2 |t|^2,   S = {c : p_c > 0}
    dl_n/dz = p - t

which for a class index is optax's ``multiclass_sparsemax_loss``,
``sum_c p_c (z_c - z_y) + 1/2 (1 - |p|^2)``. With ``z_c = tau + p_c + r_c``
(``r_c = min(z_c - tau, 0)``, zero on S) it equals::

    l_n = 1/2 |p - t|^2 + sum_c t_c max(tau - z_c, 0) + tau (1 - sum_c t_c)

a sum of non-negative terms when the targets sum to 1 (the last term is then 0; the loss is 0
exactly when p = t), computed on logits shifted by their maximum m (tau = m + tau', the shifted
threshold tau' in [-1, 0)), so logits of +-1e4 cancel nothing. For a class index the first term
is ``1/2 (sum_{c != y} p_c^2 + (sum_{c != y} p_c)^2)`` and the gradient at y is
``-sum_{c != y} p_c``, not ``p_y - 1``.

The threshold by Michelot's iteration (Newton's method on the piecewise-linear
``f(tau) = sum_c max(z_c - tau, 0) - 1``, without a sort): from tau = m - 1, a lower bound
(``p_max <= 1``), take the support ``S = {z_c > tau}`` and set ``tau = (sum_S z_c - 1) / |S|``
until S stops shrinking. Each pass is one loop over the row, without a branch; tau only grows and S only
shrinks, so it ends after at most C passes (random rows of 10 to 10,000 classes took 2 to 11).

A row with a NaN (logit or target), or a +inf logit (inf - inf), has a NaN loss and a NaN gradient row,
as in the cross-entropy.

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold ``n_rows * n_classes``
elements, ``labels`` ``n_rows`` (or none, when ``target`` is given). An empty ``row_weights``
means ones, empty ``row_losses``/``grad`` mean "do not write". Element maths is in the dtype of
``y_pred`` (float32 stays float32); sums over classes and rows, and tau, are float64.
"""

import numpy as np
from numba import njit

from .._config import CALLEE, INLINE
from .rows import RowKernel, row_block
from .typed import constant
from .vector_math import largest

_ZERO, _ONE = constant(0.0), constant(1.0)


@njit(**CALLEE)
def _threshold(shifted):
    """tau' of logits shifted by their maximum (all <= 0, none NaN), by Michelot's iteration; float64."""
    tau = -1.0
    support = shifted.size + 1
    while True:
        bound = shifted.dtype.type(tau)  # compared in the element dtype, as the projection below
        total = 0.0
        count = 0
        for c in range(shifted.size):
            inside = shifted[c] > bound
            total += shifted[c] if inside else _ZERO
            count += inside
        if count >= support:  # S no longer shrinks (a rounding that grows it ends the search too)
            return tau
        support = count
        tau = (total - 1.0) / count


@njit(**CALLEE)
def _projection(row, shifted, p):
    """(m, tau') of a row, with z - m in ``shifted`` and sparsemax(z) in ``p``; (m, NaN) for a row with a NaN
    (or +inf, where inf - inf is NaN), whose p is then NaN."""
    peak = largest(row)
    for c in range(row.size):
        shifted[c] = row[c] - peak
    check = 0.0
    for c in range(row.size):
        check += shifted[c]  # NaN if one is: the values are <= 0 (-inf for a -inf logit) or NaN
    if check != check:
        for c in range(row.size):
            shifted[c] = np.nan  # an inf logit's -inf as well: nothing takes the row's NaN away
            p[c] = np.nan
        return peak, np.nan
    tau = _threshold(shifted)
    bound = row.dtype.type(tau)
    for c in range(row.size):
        gap = shifted[c] - bound
        p[c] = gap if gap > 0 else _ZERO
    return peak, tau


@njit(**INLINE)
def _labelled_row(row, label, scale, shifted, p, grad_row):
    """l_n for class index ``label``; writes its gradient times ``scale`` into grad_row when it is non-empty."""
    _, tau = _projection(row, shifted, p)
    squares = 0.0  # sum_{c != y} p_c^2
    rest = 0.0  # sum_{c != y} p_c = 1 - p_y
    for c in range(row.size):
        other = c != label
        squares += p[c] * p[c] if other else _ZERO
        rest += p[c] if other else _ZERO
    outside = tau - shifted[label]
    loss = 0.5 * (squares + rest * rest) + (outside if outside > 0 else 0.0)
    if tau != tau:  # a NaN row (with C = 1 no p enters the sums)
        loss = np.nan
    if grad_row.size > 0:
        row_scale = row.dtype.type(scale)
        for c in range(row.size):
            grad_row[c] = row_scale * p[c]
        grad_row[label] = -scale * rest
        if loss != loss:  # a NaN anywhere in the row (or inf - inf): the whole row, as cross_entropy
            grad_row[:] = np.nan
    return loss


@njit(**INLINE)
def _target_row(row, t, scale, shifted, p, grad_row):
    """l_n for class probabilities ``t``; writes its gradient times ``scale`` into grad_row when it is non-empty."""
    peak, tau = _projection(row, shifted, p)
    distance = 0.0  # |p - t|^2
    hinge = 0.0  # sum_c t_c max(tau' - z'_c, 0)
    target_total = 0.0
    for c in range(row.size):
        difference = p[c] - t[c]
        distance += difference * difference
        outside = tau - shifted[c]  # inf for a -inf logit: skipped where t_c = 0 (0 * inf is NaN)
        hinge += t[c] * outside if outside > 0 and t[c] != 0 else 0.0
        target_total += t[c]
    loss = 0.5 * distance + hinge + (peak + tau) * (1.0 - target_total)
    if grad_row.size > 0:
        row_scale = row.dtype.type(scale)
        for c in range(row.size):
            grad_row[c] = row_scale * (p[c] - t[c])
        if loss != loss:  # a NaN anywhere in the row (or inf - inf): the whole row, as cross_entropy
            grad_row[:] = np.nan
    return loss


# A row of each kind of target, in the signature of :func:`.rows.row_block` (no class weights or parameters). The row
# functions are inlined into their blocks by Numba: a call per row cost rows of 10 classes 1.2-1.3x their time.
@njit(**INLINE)
def _labelled(y_pred, labels, target, class_weights, params, n_classes, r, scale, w, grad, scratch):
    first = r * n_classes
    return _labelled_row(y_pred[first:first + n_classes], labels[r], scale * w, scratch[0], scratch[1],
                         grad[first:first + n_classes] if grad.size > 0 else grad)


@njit(**INLINE)
def _targets(y_pred, labels, target, class_weights, params, n_classes, r, scale, w, grad, scratch):
    first = r * n_classes
    return _target_row(y_pred[first:first + n_classes], target[first:first + n_classes], scale * w, scratch[0],
                       scratch[1], grad[first:first + n_classes] if grad.size > 0 else grad)


#: A block per kind of target, class indices or class probabilities, compiled on its first use.
sparsemax_loss = RowKernel("sparsemax_loss", {"labels": row_block("sparsemax_labelled_block", _labelled, 2),
                                              "targets": row_block("sparsemax_target_block", _targets, 2)})
