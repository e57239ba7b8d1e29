"""Kernel of the poly-1 cross-entropy (Leng et al. 2022) over rows of ``C`` logits.

For row n with logits ``z``, ``q = softmax(z)`` and target coefficients ``t_c``
(one-hot for a class index y, class probabilities otherwise), as optax's
``poly_loss_cross_entropy``::

    l_n = -sum_c t_c log q_c + eps sum_c t_c (1 - q_c)
    dl_n/dz_c = A q_c - t_c + eps q_c (p_t - t_c),   A = sum_c t_c,   p_t = sum_c t_c q_c

(for a class index: ``q_c (1 + eps q_y)`` and ``-(1 + eps q_y)(1 - q_y)`` at c = y).

With the row maximum ``z_k`` (the first class k that holds it), ``e_c = exp(z_c - z_k)`` and
``o = sum_{c != k} e_c``: ``q_c = e_c / (1 + o)``, ``log q_c = (z_c - z_k) - log1p(o)`` and,
for class k alone (the only class whose q can be near 1), ``1 - q_k = o / (1 + o)``: no
``1 - q`` cancels, and the cross-entropy ``A log1p(o) + sum_c t_c (z_k - z_c)`` is a sum of
non-negative terms, so logits of +-1e4 lose nothing. Its gradient at k is written as
``q_k sum_{c != k} t_c - t_k (1 - q_k) + eps q_k (sum_{c != k} t_c q_c - t_k (1 - q_k))``.

A row with a NaN (logit or target), or a +inf logit (inf - inf), has a NaN loss and a NaN gradient row,
as in the cross-entropy.

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold ``n_rows * n_classes``
elements, ``labels`` ``n_rows`` (or none, when ``target`` is given). An empty ``row_weights``
means ones, empty ``row_losses``/``grad`` mean "do not write". Element maths is in the dtype of
``y_pred`` (float32 stays float32); sums over classes and rows are float64.
"""

import math

import numpy as np
from numba import njit

from .._config import CALLEE, INLINE
from .rows import RowKernel, row_block
from .typed import constant
from .vector_math import exp_nonpositive, largest

_ZERO, _ONE = constant(0.0), constant(1.0)


@njit(**CALLEE)
def _shifted_exps(row, exps):
    """(z_k, k, o) of the module docstring; writes e_c = exp(z_c - z_k) into ``exps``. k is the first class at
    the maximum (0 for a NaN maximum, whose row is NaN)."""
    n_classes = row.size
    peak = largest(row)
    k = n_classes  # by a minimum, which vectorises (a loop with a break does not)
    for c in range(n_classes):
        k = min(k, c if row[c] == peak else n_classes)
    k = 0 if k == n_classes else k
    for c in range(n_classes):  # stores only; the sum below (a loop that stores and sums has two orders)
        exps[c] = exp_nonpositive(row[c] - peak)
    others = 0.0
    for c in range(n_classes):
        others += exps[c] if c != k else _ZERO
    return peak, k, others


@njit(**INLINE)
def _labelled_row(row, label, epsilon, scale, exps, grad_row):
    """l_n for class index ``label``; writes its gradient times ``scale`` into grad_row when it is non-empty."""
    peak, k, others = _shifted_exps(row, exps)
    inv_total = 1.0 / (1.0 + others)
    if label == k:
        q_y = inv_total
        miss = others * inv_total  # 1 - q_y
        slope = (1.0 + epsilon) - epsilon * miss  # 1 + eps q_y, exact at eps = -1
    else:
        q_y = exps[label] * inv_total  # <= 1/2
        miss = 1.0 - q_y
        slope = 1.0 + epsilon * q_y
    loss = math.log1p(others) + (peak - row[label]) + epsilon * miss
    if grad_row.size > 0:
        factor = row.dtype.type(scale * slope * inv_total)
        for c in range(row.size):
            grad_row[c] = factor * exps[c]
        grad_row[label] = -scale * slope * miss
        if loss != loss:  # a NaN anywhere in the row (or inf - inf): the whole row, as cross_entropy
            grad_row[:] = np.nan
    return loss


@njit(**INLINE)
def _term(t, gap):
    """t * gap for a target t and a gap z_k - z_c >= 0; 0 where t is 0 and the gap infinite (a -inf logit
    without target takes no part: 0 * inf is NaN). NaN stays NaN."""
    return t * gap if t != 0 or gap != np.inf else 0.0


@njit(**INLINE)
def _target_row(row, t, epsilon, scale, exps, grad_row):
    """l_n for class probabilities ``t``; writes its gradient times ``scale`` into grad_row when it is non-empty."""
    peak, k, others = _shifted_exps(row, exps)
    inv_total = 1.0 / (1.0 + others)
    q_scale = row.dtype.type(inv_total)
    miss_k = others * inv_total  # 1 - q_k
    target_others = 0.0  # sum_{c != k} t_c
    hit_others = 0.0  # sum_{c != k} t_c q_c
    gap = 0.0  # sum_c t_c (z_k - z_c)
    miss = 0.0  # sum_{c != k} t_c (1 - q_c)
    for c in range(row.size):
        other = c != k
        q = exps[c] * q_scale
        target_others += t[c] if other else _ZERO
        hit_others += t[c] * q if other else _ZERO
        miss += t[c] * (_ONE - q) if other else _ZERO
        gap += t[c] * (peak - row[c])
    if gap != gap:  # a NaN, or 0 * inf: again with _term (a test per class in the loop would cost every row)
        gap = 0.0
        for c in range(row.size):
            gap += _term(t[c], peak - row[c])
    t_k = t[k]
    target_total = target_others + t_k
    loss = target_total * math.log1p(others) + gap + epsilon * (miss + t_k * miss_k)
    if grad_row.size > 0:
        hit = hit_others + t_k * inv_total  # p_t
        factor = row.dtype.type(scale * (target_total + epsilon * hit) * inv_total)
        row_scale = row.dtype.type(scale)
        eps = row.dtype.type(epsilon)
        for c in range(row.size):
            grad_row[c] = factor * exps[c] - row_scale * t[c] * (_ONE + eps * (exps[c] * q_scale))
        grad_row[k] = scale * (inv_total * target_others - t_k * miss_k
                               + epsilon * inv_total * (hit_others - t_k * miss_k))
        if loss != loss:  # a NaN anywhere in the row (or inf - inf): the whole row, as cross_entropy
            grad_row[:] = np.nan
    return loss


# A row of each kind of target, in the signature of :func:`.rows.row_block` (params = (epsilon, unused, unused)).
# The row functions are inlined into their blocks by Numba (a call per row cost rows of 10 classes 1.15-1.35x their
# time); _shifted_exps, whose exp loop ran slower inlined at 1,000 classes, stays a function.
@njit(**INLINE)
def _labelled(y_pred, labels, target, class_weights, params, n_classes, r, scale, w, grad, scratch):
    first = r * n_classes
    return _labelled_row(y_pred[first:first + n_classes], labels[r], params[0], scale * w, scratch[0],
                         grad[first:first + n_classes] if grad.size > 0 else grad)


@njit(**INLINE)
def _targets(y_pred, labels, target, class_weights, params, n_classes, r, scale, w, grad, scratch):
    first = r * n_classes
    return _target_row(y_pred[first:first + n_classes], target[first:first + n_classes], params[0], scale * w,
                       scratch[0], grad[first:first + n_classes] if grad.size > 0 else grad)


#: A block per kind of target, class indices or class probabilities, compiled on its first use.
poly1_cross_entropy = RowKernel("poly1_cross_entropy", {"labels": row_block("poly1_labelled_block", _labelled, 1),
                                                        "targets": row_block("poly1_target_block", _targets, 1)})
