"""Kernel of the softmax (multi-class) focal loss over rows of ``C`` classes.

For row n with probabilities ``p_c`` (softmax of logits, or the given
probabilities clipped to ``[eps, 1 - eps]``) and coefficients ``a_c``
(``alpha_{y_n} [c = y_n]`` for a class index, ``alpha_c t_nc`` for class
probabilities; ``alpha`` is ones when absent)::

    l_n = sum_c a_c f_c,   f_c = -(1 - p_c)^gamma log p_c

With ``m_c = 1 - p_c`` and ``g_c = m_c^gamma (1 - gamma p_c log(p_c) / m_c)``,
the gradient with respect to the logits is ``p_k sum_c a_c g_c - a_k g_k``
(cross-entropy's ``sum(a) p - a`` with ``a`` replaced by ``b = a g``), and with
respect to probabilities ``a_c m_c^gamma (gamma log(p_c) / m_c - 1 / p_c)``
(zero where p was clipped). ``log(p) / m`` is bounded (it tends to -1 as
p -> 1), so nothing computes ``m^(gamma - 1)``, which overflows for
gamma < 1; at ``p = 1`` exactly the gradient is 0.

From logits, only the class k of the largest logit can have p_k near 1
(every other p_c <= 1/2). Its ``m_k`` and ``log p_k`` are computed from
``o = sum_{c != k} exp(z_c - z_k)`` as ``o / (1 + o)`` and ``-log1p(o)``,
without the cancellation of ``1 - p_k``, and its gradient as
``p_k sum_{c != k} b_c - b_k m_k``. With a class index y only ``b_y`` is
non-zero: the gradient is ``b_y p_c``, and ``-b_y m_y`` at ``c = y``.

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold
``n_rows * n_classes`` elements, ``labels`` ``n_rows`` (or none, when
``target`` is given). Empty ``row_weights``/``alpha`` mean ones, empty
``row_losses``/``grad`` mean "do not write". Element maths is in the dtype of
``y_pred`` (float32 stays float32); sums over classes and rows are float64.
"""

import math

from numba import njit

from .._config import CALLEE, INLINE
from .rows import RowKernel, row_block
from .typed import bind, constant
from .vector_math import clip_probability, exp_nonpositive, largest, log_positive

_ZERO, _ONE = constant(0.0), constant(1.0)


@njit(**CALLEE)
def _coefficient(c, target_row, alpha):
    """a_c = alpha_c t_c of the module docstring, for class c of a row against class probabilities t."""
    return (_ONE if alpha.size == 0 else alpha[c]) * target_row[c]


@njit(**CALLEE)
def _logit_terms(shifted, e, is_peak, others, log_total, inv_total, gamma):
    """(f_c, g_c, m_c) of class c from its shifted logit z_c - z_k and e = exp(z_c - z_k).

    others = sum_{c != k} exp(z_c - z_k), log_total = log1p(others), inv_total = 1 / (1 + others).
    """
    if is_peak:
        log_p = -log_total
        p = inv_total
        m = others * inv_total
    else:
        log_p = shifted - log_total
        p = e * inv_total
        m = _ONE - p
    ratio = log_p / m if m > 0 else -_ONE  # log(p) / (1 - p) -> -1 as p -> 1
    power = m**gamma
    return -power * log_p, power * (_ONE - gamma * p * ratio), m


@njit(**INLINE)
def _sum_but(values, k):
    """float64 sum of values[c] for c != k, in two loops over slices (``range(k + 1, n)`` does not vectorise)."""
    head = values[:k]
    tail = values[k + 1:]
    total = 0.0
    for c in range(head.size):
        total += head[c]
    for c in range(tail.size):
        total += tail[c]
    return total


@njit(**INLINE)
def _target_logit_terms(row, exps, target_row, alpha, k, peak, others, log_total, inv_total, gamma, terms, slopes):
    """terms = a_c f_c and slopes = a_c g_c of a row against class probabilities (0 where a_c is 0).

    Every class but k has p_c <= 1/2, so m_c = 1 - p_c >= 1/2 and m_c^gamma = exp(gamma log m_c): one
    vectorised loop for all (libm's ``pow`` per class kept it scalar), then class k by
    :func:`_logit_terms`.
    """
    for c in range(row.size):
        a = _coefficient(c, target_row, alpha)
        log_p = (row[c] - peak) - log_total
        p = exps[c] * inv_total
        m = _ONE - p
        power = exp_nonpositive(gamma * log_positive(m))
        terms[c] = _ZERO if a == 0 else -a * power * log_p
        slopes[c] = _ZERO if a == 0 else a * power * (_ONE - gamma * p * (log_p / m))
    a = _coefficient(k, target_row, alpha)
    if a != 0:
        f, g, _ = _logit_terms(row[k] - peak, exps[k], True, others, log_total, inv_total, gamma)
        terms[k] = a * f
        slopes[k] = a * g


@njit(**INLINE)
def _row_exps(row, exps):
    """(max z, k, o, log1p(o), 1 / (1 + o)) of a row of logits z, with k its first class at the maximum and
    o = sum_{c != k} exp(z_c - z_k) (summed in float64, the results in the element dtype); exp(z_c - max) into
    ``exps``. The maximum and the exps vectorised: libm's exp per class and a max chain took ~10 ns a class."""
    n_classes = row.size
    peak = largest(row)
    k = n_classes  # the first class at the peak, by a minimum that vectorises (a loop with a break does not)
    for c in range(n_classes):
        k = min(k, c if row[c] == peak else n_classes)
    k = 0 if k == n_classes else k  # no class at a NaN peak: then the whole row is NaN
    # No loop both sums and stores (see softmax.py): store, then sum.
    for c in range(n_classes):
        exps[c] = exp_nonpositive(row[c] - peak)
    others = _sum_but(exps, k)
    cast = row.dtype.type  # row values back to the element dtype
    return peak, k, cast(others), cast(math.log1p(others)), cast(1.0 / (1.0 + others))


@njit(**INLINE)
def _row_labelled_logits(y_pred, labels, target, eps, alpha, gamma, n_classes, r, scale, grad, exps, terms, slopes):
    """Loss of row r from logits and a class index y; writes its gradient times ``scale`` when grad is non-empty.
    Only b_y is non-zero: the gradient is b_y p_c, and -b_y m_y at c = y. ``exps`` is a scratch row."""
    first = r * n_classes
    peak, k, others, log_total, inv_total = _row_exps(y_pred[first:first + n_classes], exps)
    label = labels[r]
    a = _ONE if alpha.size == 0 else alpha[label]
    f, g, m = _logit_terms(y_pred[first + label] - peak, exps[label], label == k, others, log_total, inv_total,
                           gamma)
    if grad.size > 0:
        slope = scale * a * g
        for c in range(n_classes):
            grad[first + c] = slope * exps[c] * inv_total
        grad[first + label] = -slope * m
    return a * f


@njit(**INLINE)
def _row_target_logits(y_pred, labels, target, eps, alpha, gamma, n_classes, r, scale, grad, exps, terms, slopes):
    """Loss of row r from logits and class probabilities; writes its gradient times ``scale`` when grad is
    non-empty. exps, terms and slopes are scratch rows."""
    first = r * n_classes
    row = y_pred[first:first + n_classes]
    peak, k, others, log_total, inv_total = _row_exps(row, exps)
    _target_logit_terms(row, exps, target[first:first + n_classes], alpha, k, peak, others, log_total, inv_total,
                        gamma, terms, slopes)
    loss = 0.0
    for c in range(n_classes):
        loss += terms[c]
    if grad.size > 0:
        slope_others = _sum_but(slopes, k)  # sum_{c != k} b_c
        slope_total = scale * y_pred.dtype.type(slope_others + slopes[k])
        for c in range(n_classes):
            grad[first + c] = slope_total * exps[c] * inv_total - scale * slopes[c]
        p_k = inv_total
        m_k = others * inv_total
        grad[first + k] = scale * (y_pred.dtype.type(slope_others) * p_k - slopes[k] * m_k)
    return loss


@njit(**INLINE)
def _probability_term(a, q, eps, gamma, in_loop):
    """(a f_c, its derivative in p_c, whether p_c lay inside [eps, 1 - eps]) for one given probability, clipped.

    In a loop over classes (``in_loop``, a constant), m^gamma as exp(gamma log m) (gamma >= 0, m = 1 - p_c
    in [eps, 1 - eps]) and log p_c from :mod:`.vector_math`: libm's ``pow`` and ``log`` kept those loops
    scalar (4-8x at 100-1,000 classes). For the one class of a class index, libm's: one at a time, the three
    chained series cost 15-20 ns a row more than libm.
    """
    q, inside = clip_probability(q, eps)
    m = _ONE - q
    if in_loop:
        log_q = log_positive(q)
        power = exp_nonpositive(gamma * log_positive(m))
    else:
        log_q = math.log(q)
        power = m**gamma
    return -a * power * log_q, a * power * (gamma * log_q / m - _ONE / q), inside


@njit(**INLINE)
def _row_labelled_probabilities(y_pred, labels, target, eps, alpha, gamma, n_classes, r, scale, grad, exps, terms,
                                slopes):
    """Loss of row r from probabilities (each clipped, not renormalised) and a class index; writes its gradient
    times ``scale``. a_c is 0 but at the label: the other classes give 0, or NaN for NaN."""
    first = r * n_classes
    q_row = y_pred[first:first + n_classes]
    label = labels[r]
    others = 0.0
    for c in range(n_classes):
        others += _ZERO * q_row[c]
    term, slope, inside = _probability_term(_ONE if alpha.size == 0 else alpha[label], q_row[label], eps, gamma,
                                            False)
    if grad.size > 0:
        g_row = grad[first:first + n_classes]
        for c in range(n_classes):
            g_row[c] = _ZERO * q_row[c]
        g_row[label] = scale * slope if inside else _ZERO
    return others + term


@njit(**INLINE)
def _row_target_probabilities(y_pred, labels, target, eps, alpha, gamma, n_classes, r, scale, grad, exps, terms,
                              slopes):
    """Loss of row r from probabilities (each clipped, not renormalised) and class probabilities; writes its
    gradient times ``scale``."""
    first = r * n_classes
    q_row = y_pred[first:first + n_classes]
    target_row = target[first:first + n_classes]
    if grad.size > 0:
        g_row = grad[first:first + n_classes]
        for c in range(n_classes):
            terms[c], slope, inside = _probability_term(_coefficient(c, target_row, alpha), q_row[c], eps, gamma,
                                                        True)
            g_row[c] = scale * slope if inside else _ZERO
    else:
        for c in range(n_classes):
            terms[c] = _probability_term(_coefficient(c, target_row, alpha), q_row[c], eps, gamma, True)[0]
    loss = 0.0
    for c in range(n_classes):
        loss += terms[c]
    return loss


#: Bound per kind of input by ``typed.bind``: the row function of logits, of probabilities against class
#: indices, or of probabilities against class probabilities (they share one signature). Each block has its
#: own, inlined by Numba with its helpers: called per row (a call with a dozen arrays' fields), the rows of 10
#: classes took 1.1-1.9x as long as 1756d4c's, inlined 0.6-0.8x (1.14x against class probabilities in float32).
focal_row = None


def _row(y_pred, labels, target, alpha, params, n_classes, r, scale, w, grad, scratch):
    """Row r in the signature of :func:`.rows.row_block`: ``alpha`` as the class weights, params = (eps, gamma,
    unused), the maths in the dtype of ``y_pred``."""
    cast = y_pred.dtype.type
    return focal_row(y_pred, labels, target, cast(params[0]), alpha, cast(params[1]), n_classes, r, cast(scale) * w,
                     grad, scratch[0], scratch[1], scratch[2])


def _block(kind, row):
    name = f"softmax_focal_{kind.replace(' ', '_')}"
    return row_block(f"{name}_block", njit(**INLINE)(
        bind(_row, f"{name}_row", focal_row=row)), 3)


#: A block per kind of input, compiled on its first use, run by the shared row driver.
softmax_focal = RowKernel("softmax_focal", {
    kind: _block(kind, row)
    for kind, row in (("labelled logits", _row_labelled_logits), ("target logits", _row_target_logits),
                      ("labelled probabilities", _row_labelled_probabilities),
                      ("target probabilities", _row_target_probabilities))})


def block_kind(from_logits, has_labels):
    """The kind of block for logits or probabilities, against class indices or class probabilities."""
    return ("labelled " if has_labels else "target ") + ("logits" if from_logits else "probabilities")
