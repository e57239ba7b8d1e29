"""Kernels of the learning-to-rank losses over lists of ``L`` items.

List q holds scores ``s_i`` and relevance labels ``y_i >= 0`` for its valid items ``V`` (those whose
mask is True; every item without a mask). Per list:

* softmax (optax's ``ranking_softmax_loss``; labels are not normalised)::

      l = -sum_{i in V} y_i log softmax_V(s)_i = sum_{i in V} y_i ((m - s_i) + log Z),
      m = max_V s,  Z = sum_{j in V} exp(s_j - m)
      dl/ds_i = (sum_{j in V} y_j) exp(s_i - m) / Z - y_i

* pairwise logistic (RankNet; Rax's ``pairwise_logistic_loss`` of one list), over the pairs
  ``P = {(i, j) in V x V: y_i > y_j}``::

      l = (1 / |P|) sum_{(i, j) in P} log(1 + exp(-(s_i - s_j)))      (0 when P is empty)
      dl/ds_k = (1 / |P|) [sum_{(i, k) in P} sigma(s_k - s_i) - sum_{(k, j) in P} sigma(s_j - s_k)]

  with ``log(1 + exp(-d)) = max(-d, 0) + log1p(exp(-|d|))`` and ``sigma(-d) = exp(-|d|) / (1 + exp(-|d|))``
  (d >= 0) or ``1 / (1 + exp(-|d|))`` (d < 0): finite for any d, inf only at d = -inf.

``mask`` is True at the valid items (all True without ``where``). Masked items get a zero gradient,
and their labels and scores never reach a result (they may hold anything, NaN included): the loops
compute every item and select. A list without a valid item (softmax) or a pair (pairwise) costs 0.

Arrays are flat and C-contiguous in (Q, L) order; ``list_weights`` is empty (ones) or holds one
weight per run of ``inner`` lists. Each list runs serially (element maths in the input's dtype, sums
in float64; the softmax gradient in float64, rounded on store) and writes only its own loss and
gradient slots; lists run in parallel once ``work`` (elements for the softmax, Q L^2 item pairs for
the pairwise loss) reaches ``PARALLEL_THRESHOLD``, and the total adds the list losses in list order:
results do not depend on the number of threads.
Sums are taken in loops that store nothing, as in :mod:`.dice` (a loop that also stores may get a
vector and a scalar copy, picked at run time, which sum in different orders).
"""

import math

import numpy as np
from numba import prange, types

from .typed import FLOAT64, INT64, array, per_dtype
from .vector_math import exp_nonpositive, from_order_key, log1p_unit, order_key

#: float32 constants: in float64 arithmetic they widen exactly, in float32 they keep it float32.
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


def _softmax_list(y_true, y_pred, mask, n_items, q, scale, grad):
    """l_q of the ranking softmax loss in float64; writes its gradient times ``scale`` when grad is non-empty."""
    first = q * n_items
    scores = y_pred[first:first + n_items]
    labels = y_true[first:first + n_items]
    valid = mask[first:first + n_items]
    start = 0
    while start < n_items and not valid[start]:
        start += 1
    if start == n_items:
        if grad.size > 0:
            grad[first:first + n_items] = 0
        return 0.0
    # The largest valid score as the largest order key (a NaN with its sign bit set may not win, but it
    # makes exp(s - m) and so the loss NaN): selects instead of branches, so the loops vectorise.
    peak_key = order_key(scores[start])
    for i in range(start + 1, n_items):
        key = order_key(scores[i])
        peak_key = key if valid[i] and key > peak_key else peak_key
    peak = from_order_key(peak_key)
    exp_total = 0.0
    label_total = 0.0
    label_gap_total = 0.0  # sum y_i (m - s_i): with label_total, l = sum y_i (m - s_i) + log Z sum y_i
    for i in range(n_items):
        gap = peak - scores[i]
        e = exp_nonpositive(-gap)
        exp_total += e if valid[i] else _ZERO
        label_total += labels[i] if valid[i] else _ZERO
        label_gap_total += float(labels[i]) * float(gap) if valid[i] else 0.0
    loss = label_gap_total + label_total * math.log(exp_total)
    if grad.size > 0:
        share = scale * label_total / exp_total  # dl/ds_i * scale = share * exp(s_i - m) - scale * y_i
        out = grad[first:first + n_items]
        for i in range(n_items):
            g = share * exp_nonpositive(scores[i] - peak) - scale * labels[i]
            out[i] = g if valid[i] else 0.0
    return loss


def _pairwise_logistic_list(y_true, y_pred, mask, n_items, q, scale, grad):
    """l_q of the pairwise logistic loss in float64; writes its gradient times ``scale`` when grad is non-empty."""
    first = q * n_items
    scores = y_pred[first:first + n_items]
    valid = mask[first:first + n_items]
    # Labels with masked items at +inf: no valid label exceeds them, so they join no pair.
    ranks = y_true[first:first + n_items].copy()
    for i in range(n_items):
        if not valid[i]:
            ranks[i] = np.inf
    has_grad = grad.size > 0
    pair_grads = np.empty(n_items if has_grad else 0, FLOAT64)  # sum of the pair derivatives per item
    for i in range(pair_grads.size):
        pair_grads[i] = 0.0
    pair_losses = np.empty(n_items, scores.dtype)  # one row of pairs, 0 outside P
    slopes = np.empty(n_items if has_grad else 0, scores.dtype)  # sigma(-(s_i - s_j)) in P, else 0
    total = 0.0
    n_pairs = 0
    for i in range(n_items):
        if not valid[i]:
            continue
        better = ranks[i]
        s = scores[i]
        for j in range(n_items):  # stores only: every row element on its own
            d = s - scores[j]
            e = exp_nonpositive(-abs(d))
            in_pair = better > ranks[j]
            pair_losses[j] = (max(-d, _ZERO) + log1p_unit(e)) if in_pair else _ZERO
            if has_grad:
                slope = ((e if d >= _ZERO else _ONE) / (_ONE + e)) if in_pair else _ZERO
                slopes[j] = slope
                pair_grads[j] += slope
        row_loss = 0.0
        row_pairs = 0
        for j in range(n_items):  # sums only
            row_loss += pair_losses[j]
            row_pairs += better > ranks[j]
        total += row_loss
        n_pairs += row_pairs
        if has_grad:
            row_slope = 0.0
            for j in range(n_items):
                row_slope += slopes[j]
            pair_grads[i] -= row_slope
    if n_pairs == 0:
        if has_grad:
            grad[first:first + n_items] = 0
        return 0.0
    if has_grad:
        factor = scale / n_pairs
        out = grad[first:first + n_items]
        for k in range(n_items):
            out[k] = factor * pair_grads[k]
    return total / n_pairs


#: Bound per dtype by ``per_dtype(blocks=...)``: calls the compiled block at an address (:mod:`.calls`).
call_block = None


def _signature(dtype):
    """Labels, scores, mask and weights read-only; float64 list losses and the gradient written."""
    values = array(dtype)
    return (values, values, array(np.bool_), INT64, INT64, values, INT64, types.float64,
            array(np.float64, writeable=True), array(dtype, writeable=True))


def _list_signature(dtype):
    """block(y_true, y_pred, mask, n_items, q, scale, grad) -> l_q."""
    values = array(dtype)
    return types.float64(values, values, array(np.bool_), INT64, INT64, types.float64, array(dtype, writeable=True))


BLOCKS = {"softmax": _softmax_list, "pairwise_logistic": _pairwise_logistic_list}


@per_dtype(_signature, blocks=(_list_signature, BLOCKS), work="work")
def ranking_loss(block, y_true, y_pred, mask, n_items, work, list_weights, inner, scale, list_losses, grad):
    """sum_q w_q l_q in float64; writes w_q l_q to list_losses and, if non-empty, the gradient times scale.
    ``block`` is the address of a list block's code (:data:`BLOCKS`)."""
    n_lists = list_losses.size
    for q in prange(n_lists):
        w = 1.0 if list_weights.size == 0 else float(list_weights[q // inner])
        list_losses[q] = w * call_block(block, y_true, y_pred, mask, n_items, q, scale * w, grad)
    total = 0.0
    for q in range(n_lists):
        total += list_losses[q]
    return total
