"""Kernels of the pointwise losses: ``loss = reduce_i w_i * l(y_i, p_i)``.

Every pointwise loss is a case of :func:`_loss_and_grad` and :func:`_hessian`,
chosen by an integer ``kind``; the loop kernels below are written once for all
of them. exp and log come from :mod:`.vector_math`, never libm, so loops of them
vectorise. Every loss gets loops of its own (sum and gradient, per-element
losses, hessian; weighted or not), called with a constant ``kind`` so that Numba
compiles one version per loss and the switch folds away: mse, mae, huber,
quantile, smooth L1, the hinges, Poisson and KL divergence through
:func:`_loss_and_grad` and :func:`_hessian` (:func:`_plain_block`,
:func:`_plain_map`); binary cross-entropy, focal and log-cosh, whose maths is
too large for LLVM to inline through the switch, through the inlined
:func:`_buffered_element` (:func:`_buffered_block`, :func:`_buffered_map`).
The kernels exist once per loss, indexed by ``kind``
(``pointwise_sum[kind]``, ``pointwise_sum_and_grad[kind]``,
``pointwise_map[kind]``), so a first call compiles that loss alone.
``params`` holds a loss's parameters in the compute dtype, so float32 element
maths stays in float32 (constants are written as ``np.float32``, which float64
arithmetic promotes losslessly). Sums accumulate in float64 over fixed
blocks of :data:`BLOCK_SIZE` elements, added in block order.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds
one weight per run of ``inner`` consecutive elements.
"""

import warnings

import numba
import numpy as np
from numba import njit, prange, types
from numba.core.errors import NumbaIRAssumptionWarning
from numba.core.extending import overload

from .._config import BLOCK_SIZE, ERROR_MODEL, FASTMATH, PARALLEL_THRESHOLD
from .vector_math import (clip_probability, exp_any, exp_nonpositive, log1p_unit, log_nonnegative, log_one_minus,
                          log_positive, sinh_small)

MSE = 0
MAE = 1
HUBER = 2  # params[0] = delta
BCE_PROBABILITIES = 3  # params = epsilon, pos_weight, label keep (1 - s), label shift (s / 2)
BCE_LOGITS = 4  # params = pos_weight, label keep (1 - s), label shift (s / 2)
LOG_COSH = 5
QUANTILE = 6  # params[0] = q
POISSON_LOG = 7  # y_pred is the log-rate
POISSON = 8  # y_pred is the rate; params[0] = epsilon
SMOOTH_L1 = 9  # params[0] = beta
FOCAL_PROBABILITIES = 10  # params = gamma, alpha_pos, alpha_neg, epsilon
FOCAL_LOGITS = 11  # params = gamma, alpha_pos, alpha_neg
HINGE = 12  # params = label scale, label shift (labels {0, 1} -> {-1, 1})
SQUARED_HINGE = 13  # params as HINGE
KL_PROBABILITIES = 14  # params[0] = epsilon
KL_LOG = 15  # y_pred is log p

_ZERO = np.float32(0.0)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_TWO = np.float32(2.0)
_FOUR = np.float32(4.0)


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _sign(x):
    """sign(x), 0 at 0 and NaN for NaN."""
    return _ONE if x > 0 else (-_ONE if x < 0 else x)


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _sigmoid_pair(z, e):
    """(log(1 + exp(-|z|)), sigmoid(z), sigmoid(-z)) given e = exp(-|z|), each without cancellation.

    With the vectorisable exp and log1p of :mod:`.vector_math`: libm's would keep every
    binary cross-entropy loop scalar (compute-bound at 10-40 ns an element).
    """
    tail = log1p_unit(e)
    large = _ONE / (_ONE + e)
    small = e * large
    if z >= 0:
        return tail, large, small
    return tail, small, large


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _binary_cross_entropy(y, p, params, from_logits):
    """(l, dl/dp, d2l/dp2) of -[a y log s + (1 - y) log(1 - s)], s = p or sigmoid(p), a = pos_weight.

    Labels are smoothed first: y <- y (1 - s) + s / 2.
    """
    return _binary_cross_entropy_given(y, p, params, from_logits, exp_nonpositive(-abs(p)) if from_logits else p)


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _binary_cross_entropy_given(y, p, params, from_logits, e):
    """_binary_cross_entropy given e = exp(-|p|) for logits (ignored for probabilities)."""
    if from_logits:
        pos_weight, keep, shift = params[0], params[1], params[2]
    else:
        pos_weight, keep, shift = params[1], params[2], params[3]
    y = y * keep + shift
    positive = pos_weight * y  # coefficient of -log s
    negative = _ONE - y  # coefficient of -log(1 - s)
    if from_logits:
        tail, s, r = _sigmoid_pair(p, e)
        loss = positive * (max(-p, _ZERO) + tail) + negative * (max(p, _ZERO) + tail)
        return loss, negative * s - positive * r, (positive + negative) * s * r
    q, inside = clip_probability(p, params[0])
    r = _ONE - q
    loss = -(positive * log_positive(q) + negative * log_one_minus(q))
    grad = (negative * q - positive * r) / (q * r)  # over one division: divisions bound these loops
    hess = positive / (q * q) + negative / (r * r)
    return loss, (grad if inside else _ZERO), (hess if inside else _ZERO)


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _log_cosh(d):
    """(log cosh d, tanh d, sech^2 d), stable at every scale.

    With e = exp(-2|d|), from |d| = 1: log cosh d = |d| + log1p((e - 1) / 2) and
    tanh d = sign(d) (1 - e) / (1 + e). Below 1, with h = sinh(d/2) (so cosh d = 1 + 2h^2 and
    sinh d = 2h sqrt(1 + h^2)): log cosh d = log1p(2h^2), which keeps the digits of d^2/2 near 0,
    and tanh d = 2h sqrt(1 + h^2) / (1 + 2h^2). Both sides are computed and one selected (one
    log1p), so loops of it vectorise.
    """
    a = abs(d)
    e = exp_nonpositive(-(a + a))
    near = a < _ONE
    h = sinh_small(_HALF * d if near else _ZERO)
    h2 = h * h
    loss = log1p_unit(_TWO * h2 if near else _HALF * e - _HALF) + (_ZERO if near else a)
    inverse = _ONE / (_ONE + e)
    tanh = (h + h) * np.sqrt(_ONE + h2) / (_ONE + _TWO * h2) if near else _sign(d) * (_ONE - e) * inverse
    return loss, tanh, _FOUR * e * inverse * inverse


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _power(m, gamma):
    """m^gamma for m >= 0 as exp(gamma log m) (vectorisable, unlike libm's pow); 1 for gamma = 0."""
    return _ONE + m * _ZERO if gamma == 0 else exp_any(gamma * log_nonnegative(m))


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _focal(y, p, params, from_logits):
    """(l, dl/dp, d2l/dp2) of the binary focal loss w_y m^gamma c.

    c is the binary cross-entropy, m = 1 - p_t = y (1 - s) + (1 - y) s the
    probability given to the wrong side and w_y = alpha_pos y + alpha_neg (1 - y).
    The derivatives use only the bounded ratios m'/m and m''/m, never
    m^(gamma - 1), so they stay finite for gamma < 1 as p_t -> 1.
    """
    gamma = params[0]
    weight = params[1] * y + params[2] * (_ONE - y)
    side = _ONE - y - y  # dm/ds
    if from_logits:
        tail, s, r = _sigmoid_pair(p, exp_nonpositive(-abs(p)))  # r = 1 - s
        c = y * (max(-p, _ZERO) + tail) + (_ONE - y) * (max(p, _ZERO) + tail)
        dc = (_ONE - y) * s - y * r
        d2c = s * r
        m = y * r + (_ONE - y) * s
        spread = _ONE if m == 0 else s * r / m  # m = 0: saturated with a hard label, s r / m -> 1
        dm_m = side * spread  # m' / m, with m' = (1 - 2y) s r
        d2m_m = dm_m * (r - s)  # m'' / m
    else:
        s, inside = clip_probability(p, params[3])
        r = _ONE - s
        c = -(y * log_positive(s) + (_ONE - y) * log_one_minus(s))
        m = y * r + (_ONE - y) * s
        dc = (s - y) / (s * r)
        d2c = y / (s * s) + (_ONE - y) / (r * r)
        dm_m = side / m
        d2m_m = _ZERO
    factor = weight * _power(m, gamma)
    loss = factor * c
    grad = factor * (gamma * c * dm_m + dc)
    hess = factor * (gamma * (gamma - _ONE) * c * dm_m * dm_m + gamma * c * d2m_m
                     + (gamma + gamma) * dm_m * dc + d2c)
    if from_logits:
        return loss, grad, hess
    return loss, (grad if inside else _ZERO), (hess if inside else _ZERO)  # clipped: flat


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _hinge_margin(y, p, params):
    """1 - y p, with labels mapped by y <- scale y + shift."""
    return _ONE - (params[0] * y + params[1]) * p, params[0] * y + params[1]


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _loss_and_grad(kind, y, p, params):
    """(l(y, p), dl/dp) for one element."""
    if kind == MSE:
        d = p - y
        return d * d, d + d
    if kind == MAE:
        d = p - y
        return abs(d), _sign(d)
    if kind == HUBER:
        delta = params[0]
        d = p - y
        a = abs(d)
        inside = a <= delta  # selects, not branches, so the loops vectorise; NaN takes the outer side
        loss = _HALF * d * d if inside else delta * (a - _HALF * delta)
        return loss, (d if inside else delta * _sign(d))
    if kind == BCE_PROBABILITIES:
        loss, grad, _ = _binary_cross_entropy(y, p, params, False)
        return loss, grad
    if kind == BCE_LOGITS:
        loss, grad, _ = _binary_cross_entropy(y, p, params, True)
        return loss, grad
    if kind == LOG_COSH:
        loss, grad, _ = _log_cosh(p - y)
        return loss, grad
    if kind == QUANTILE:
        q = params[0]
        d = y - p
        if d > 0:
            return q * d, -q
        if d < 0:
            return (q - _ONE) * d, _ONE - q
        return d * q, d  # 0, or NaN for NaN
    if kind == POISSON_LOG:
        rate = exp_any(p)
        return rate - y * p, rate - y
    if kind == POISSON:
        shifted = p + params[0]
        return p - y * log_nonnegative(shifted), _ONE - y / shifted
    if kind == SMOOTH_L1:
        beta = params[0]
        d = p - y
        a = abs(d)
        if a < beta:
            return _HALF * d * d / beta, d / beta
        if a >= beta:
            return a - _HALF * beta, _sign(d)
        return d, d  # NaN
    if kind == FOCAL_PROBABILITIES:
        loss, grad, _ = _focal(y, p, params, False)
        return loss, grad
    if kind == FOCAL_LOGITS:
        loss, grad, _ = _focal(y, p, params, True)
        return loss, grad
    if kind == HINGE or kind == SQUARED_HINGE:
        t, label = _hinge_margin(y, p, params)
        if t > 0:
            if kind == HINGE:
                return t, -label
            return t * t, -(t + t) * label
        if t <= 0:
            return _ZERO, _ZERO
        return t, t  # NaN
    if kind == KL_PROBABILITIES:
        q = params[0] if p < params[0] else p  # clipped to [epsilon, 1]; NaN stays NaN
        unlabelled = y == 0  # 0 log 0 = 0, NaN for NaN
        loss = p * _ZERO if unlabelled else y * log_nonnegative(y / q)
        grad = -y / q if p >= params[0] else p * _ZERO
        return loss, (p * _ZERO if unlabelled else grad)
    # KL_LOG: the gradient -y, or NaN for NaN
    return (p * _ZERO if y == 0 else y * (log_nonnegative(y) - p)), p * _ZERO - y


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _hessian(kind, y, p, params):
    """d2l/dp2 for one element."""
    if kind == MSE:
        return _TWO + (p - y) * _ZERO  # 2, or NaN for NaN
    if kind == MAE:
        return (p - y) * _ZERO
    if kind == HUBER:
        d = p - y
        if abs(d) <= params[0]:
            return _ONE
        return d * _ZERO  # 0, or NaN for NaN
    if kind == BCE_PROBABILITIES:
        return _binary_cross_entropy(y, p, params, False)[2]
    if kind == BCE_LOGITS:
        return _binary_cross_entropy(y, p, params, True)[2]
    if kind == LOG_COSH:
        return _log_cosh(p - y)[2]
    if kind == QUANTILE or kind == HINGE:
        return (p - y) * _ZERO  # 0, or NaN for NaN
    if kind == POISSON_LOG:
        return exp_any(p) + y * _ZERO
    if kind == POISSON:
        shifted = p + params[0]
        return y / (shifted * shifted)
    if kind == SMOOTH_L1:
        d = p - y
        if abs(d) < params[0]:
            return _ONE / params[0]
        return d * _ZERO
    if kind == FOCAL_PROBABILITIES:
        return _focal(y, p, params, False)[2]
    if kind == FOCAL_LOGITS:
        return _focal(y, p, params, True)[2]
    if kind == SQUARED_HINGE:
        t, label = _hinge_margin(y, p, params)
        if t > 0:
            return _TWO * label * label
        return t * _ZERO
    if kind == KL_PROBABILITIES:
        if p >= params[0]:
            return y / (p * p)
        return (p + y) * _ZERO
    # KL_LOG
    return (p + y) * _ZERO


#: Below it (elements), the fused sum-and-gradient loop could sum in two orders: see _unweighted_sum_and_grad.
_FUSED_MIN = 256


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _unweighted_sum(kind, params, y_true, y_pred, start, stop):
    # Slices, indexed from 0: with ``range(start, stop)`` and a run-time start LLVM cannot prove
    # i >= 0, keeps Numba's negative-index wraparound per element and does not vectorise (4x slower).
    y_block = y_true[start:stop]
    p_block = y_pred[start:stop]
    total = 0.0
    for i in range(p_block.size):
        total += _loss_and_grad(kind, y_block[i], p_block[i], params)[0]
    return total


def _buffered_element(kind, y, p, params, e):
    """(l, dl/dp, d2l/dp2) of one of :func:`_buffered_losses`'s losses; e = exp(-|p|) for bce on
    logits. In compiled code ``kind`` must be a literal: an overload then inlines that loss's maths
    alone, and what the loop does not use is never computed."""
    if kind == BCE_LOGITS or kind == BCE_PROBABILITIES:
        return _binary_cross_entropy_given(y, p, params, kind == BCE_LOGITS, e)
    if kind == FOCAL_LOGITS or kind == FOCAL_PROBABILITIES:
        return _focal(y, p, params, kind == FOCAL_LOGITS)
    return _log_cosh(p - y)  # LOG_COSH


#: Numba's SSA check warns "variable ... is not in scope" when it inlines this overload, whose maths
#: holds Numba-inlined functions: a false alarm (the tests check every loss against its float64
#: reference); the filter matches only this overload's variables.
warnings.filterwarnings("ignore", message=r"variable '_buffered_element_of_kind", category=NumbaIRAssumptionWarning)


@overload(_buffered_element, inline="always", prefer_literal=True,
          jit_options={"fastmath": FASTMATH, "error_model": ERROR_MODEL})
def _buffered_element_of_kind(kind, y, p, params, e):
    """Picks the loss at typing time: inlining every loss's maths (and leaving the unused ones to
    LLVM) compiled each loop several times over."""
    if not isinstance(kind, types.IntegerLiteral):
        return None
    kind = kind.literal_value
    if kind in (BCE_LOGITS, BCE_PROBABILITIES):
        from_logits = kind == BCE_LOGITS
        return lambda kind, y, p, params, e: _binary_cross_entropy_given(y, p, params, from_logits, e)
    if kind in (FOCAL_LOGITS, FOCAL_PROBABILITIES):
        from_logits = kind == FOCAL_LOGITS
        return lambda kind, y, p, params, e: _focal(y, p, params, from_logits)

    def log_cosh(kind, y, p, params, e):  # LOG_COSH
        d = p - y
        return _log_cosh(d)
    return log_cosh


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _buffered_losses(kind, params, y_block, p_block, scale, g_block, losses):
    """losses_i = l_i and, when g_block is non-empty, g_block_i = scale * dl_i/dp_i, for the losses
    whose maths is too large for LLVM to inline through :func:`_loss_and_grad` (binary
    cross-entropy, focal, log-cosh).

    ``literally`` compiles one version per loss, each with its element function inlined by Numba:
    a single version holding several grows past what LLVM inlines the maths into (bce on logits
    6.5 -> 9.5 ns an element). For logits, exp(-|p|) gets a loop of its own (into ``losses``): the
    loops are latency-bound, and with a shorter loop body the processor overlaps more elements
    (float64 5.4 -> 4.2 ns).
    """
    numba.literally(kind)
    if kind == BCE_LOGITS:
        for i in range(p_block.size):
            losses[i] = exp_nonpositive(-abs(p_block[i]))
    if g_block.size == 0:
        for i in range(p_block.size):
            e = losses[i] if kind == BCE_LOGITS else p_block[i]
            losses[i] = _buffered_element(kind, y_block[i], p_block[i], params, e)[0]
        return
    for i in range(p_block.size):
        e = losses[i] if kind == BCE_LOGITS else p_block[i]
        loss, g, _ = _buffered_element(kind, y_block[i], p_block[i], params, e)
        losses[i] = loss
        g_block[i] = scale * g


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _weighted_total(weights, inner, start, losses, g_block):
    """float64 sum of w_i * losses_i over a block from element ``start``; g_block_i *= w_i (if non-empty)."""
    total = 0.0
    stop = start + losses.size
    if inner == 1:  # a weight per element
        w_block = weights[start:stop]
        for i in range(losses.size):
            total += w_block[i] * losses[i]
    else:
        run_start = start
        while run_start < stop:  # one weight per run of ``inner`` elements: no division per element
            run = run_start // inner
            run_stop = min((run + 1) * inner, stop)
            w = weights[run]
            run_losses = losses[run_start - start:run_stop - start]
            for i in range(run_losses.size):
                total += w * run_losses[i]
            run_start = run_stop
    if g_block.size > 0:
        _weigh(weights, inner, start, g_block)
    return total


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _weigh(weights, inner, start, values):
    """values_i *= w_i over a block from element ``start``, the weights as in :func:`_weighted_total`."""
    stop = start + values.size
    if inner == 1:
        w_block = weights[start:stop]
        for i in range(values.size):
            values[i] = w_block[i] * values[i]
        return
    run_start = start
    while run_start < stop:
        run = run_start // inner
        run_stop = min((run + 1) * inner, stop)
        w = weights[run]
        run_values = values[run_start - start:run_stop - start]
        for i in range(run_values.size):
            run_values[i] = w * run_values[i]
        run_start = run_stop


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _buffered_block(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """float64 sum of w_i * l_i over [start, stop), for :func:`_buffered_losses`'s losses;
    grad_i = scale * w_i * dl_i/dp_i when grad is non-empty.

    The element function is called directly (Numba inlines it and the vectorisable exp, log1p and
    log). Losses go to a block buffer in the input dtype and are summed in a second loop: one pass
    of the costly maths for value and gradient, and the float32 maths runs 8 lanes wide (a float32
    loop that also adds into float64 vectorises 2x worse). Weights are applied in that second pass.
    """
    y_block = y_true[start:stop]
    p_block = y_pred[start:stop]
    g_block = grad[start:stop] if grad.size > 0 else grad
    losses = np.empty(p_block.size, p_block.dtype)
    _buffered_losses(kind, params, y_block, p_block, scale, g_block, losses)
    if weights.size > 0:
        return _weighted_total(weights, inner, start, losses, g_block)
    total = 0.0
    for i in range(losses.size):
        total += losses[i]
    return total


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _unweighted_sum_and_grad(kind, params, y_true, y_pred, scale, grad, start, stop):
    """float64 sum of l_i over [start, stop); grad_i = scale * dl_i/dp_i.

    One loop sums and writes the gradient. LLVM compiles it twice, vectorised and scalar (the two
    sum in different orders), and picks one by a run-time test of the distance from ``grad`` to the
    inputs, which takes the scalar copy for a ``grad`` that starts less than a vector step (4-8 lanes
    times an unroll of up to 4) after an input. No ``grad`` can start that close to another
    array of :data:`_FUSED_MIN` elements or more: shorter ones get the sum and the gradient in two
    loops (the gradient's stores then change no sum). Regression test: 5 and 12 elements summed
    in two orders by where their gradient was allocated.
    """
    if stop - start < _FUSED_MIN:
        total = _unweighted_sum(kind, params, y_true, y_pred, start, stop)
        y_block = y_true[start:stop]  # slices: see _unweighted_sum
        p_block = y_pred[start:stop]
        g_block = grad[start:stop]
        for i in range(p_block.size):
            g_block[i] = scale * _loss_and_grad(kind, y_block[i], p_block[i], params)[1]
        return total
    y_block = y_true[start:stop]
    p_block = y_pred[start:stop]
    g_block = grad[start:stop]
    total = 0.0
    for i in range(p_block.size):
        loss, g = _loss_and_grad(kind, y_block[i], p_block[i], params)
        g_block[i] = scale * g
        total += loss
    return total


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _plain_weighted_sum(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """float64 sum of w_i * l_i over [start, stop), the losses in a block buffer first; grad_i =
    scale * w_i * dl_i/dp_i when grad is non-empty."""
    y_block = y_true[start:stop]
    p_block = y_pred[start:stop]
    losses = np.empty(p_block.size, p_block.dtype)
    if grad.size == 0:
        for i in range(p_block.size):
            losses[i] = _loss_and_grad(kind, y_block[i], p_block[i], params)[0]
        return _weighted_total(weights, inner, start, losses, grad)
    g_block = grad[start:stop]
    for i in range(p_block.size):
        losses[i], g = _loss_and_grad(kind, y_block[i], p_block[i], params)
        g_block[i] = scale * g
    return _weighted_total(weights, inner, start, losses, g_block)


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _plain_block(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """float64 sum of w_i * l_i over [start, stop); grad_i = scale * w_i * dl_i/dp_i when grad is
    non-empty, for the losses whose maths LLVM inlines through :func:`_loss_and_grad`.

    Unweighted, one loop sums and writes the gradient (from :data:`_FUSED_MIN` elements on: see
    :func:`_unweighted_sum_and_grad` for why not below); weighted, the losses go to a block buffer
    first (:func:`_plain_weighted_sum`).
    """
    if weights.size > 0:
        return _plain_weighted_sum(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop)
    if grad.size > 0:
        return _unweighted_sum_and_grad(kind, params, y_true, y_pred, scale, grad, start, stop)
    return _unweighted_sum(kind, params, y_true, y_pred, start, stop)


#: The losses of :func:`_buffered_block` and :func:`_buffered_map`; the others go through :func:`_plain_block`.
_BUFFERED_KINDS = (BCE_LOGITS, BCE_PROBABILITIES, LOG_COSH, FOCAL_LOGITS, FOCAL_PROBABILITIES)


def _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """float64 sum of w_i * l_i over [start, stop); grad_i = scale * w_i * dl_i/dp_i unless grad is
    empty (the value alone). In compiled code ``kind`` must be a literal (see the overload)."""
    block = _buffered_block if kind in _BUFFERED_KINDS else _plain_block
    return block(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop)


@overload(_block_sum_and_grad, prefer_literal=True, jit_options={"fastmath": FASTMATH, "error_model": ERROR_MODEL})
def _block_sum_and_grad_of_kind(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """Picks the loss's block function at typing time, so a kernel compiles that loss alone: a switch
    on ``kind`` in the function body compiled all 16 losses' block functions into every kernel (Numba
    prunes a branch on a literal argument only against None), 50-75 s for one cold call."""
    if not isinstance(kind, types.IntegerLiteral):
        return None
    the_kind = kind.literal_value
    block = _buffered_block if the_kind in _BUFFERED_KINDS else _plain_block
    return lambda kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop: block(
        the_kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop)


#: Start of a one-block call. A literal ``0`` is typed ``Literal[int](0)`` and compiled every block
#: function a second time (the loops pass an int64 ``start``); a NumPy scalar is typed int64.
_FIRST = np.int64(0)


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _sum_in_order(partials):
    total = 0.0
    for b in range(partials.size):
        total += partials[b]
    return total


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _plain_map(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
    """out_i = scale * w_i * (l_i or d2l_i/dp_i^2 for order 0 or 2) over [start, stop), for the
    losses of :func:`_plain_block`: a loop per order, so each vectorises."""
    y_block = y_true[start:stop]  # slices: see _unweighted_sum
    p_block = y_pred[start:stop]
    o_block = out[start:stop]
    if order == 0:
        for i in range(p_block.size):
            o_block[i] = scale * _loss_and_grad(kind, y_block[i], p_block[i], params)[0]
    else:
        for i in range(p_block.size):
            o_block[i] = scale * _hessian(kind, y_block[i], p_block[i], params)
    if weights.size > 0:
        _weigh(weights, inner, start, o_block)


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _buffered_map(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
    """:func:`_plain_map` for the losses of :func:`_buffered_block` (element function inlined)."""
    numba.literally(kind)
    y_block = y_true[start:stop]
    p_block = y_pred[start:stop]
    o_block = out[start:stop]
    if kind == BCE_LOGITS:  # exp(-|p|) in a loop of its own first, as in _buffered_losses
        for i in range(p_block.size):
            o_block[i] = exp_nonpositive(-abs(p_block[i]))
    if order == 0:
        for i in range(p_block.size):
            e = o_block[i] if kind == BCE_LOGITS else p_block[i]
            o_block[i] = scale * _buffered_element(kind, y_block[i], p_block[i], params, e)[0]
    else:
        for i in range(p_block.size):
            e = o_block[i] if kind == BCE_LOGITS else p_block[i]
            o_block[i] = scale * _buffered_element(kind, y_block[i], p_block[i], params, e)[2]
    if weights.size > 0:
        _weigh(weights, inner, start, o_block)


def _map_block(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
    """out_i = scale * w_i * (l_i, dl_i/dp_i or d2l_i/dp_i^2 for order 0, 1, 2) over [start, stop).

    The gradient is :func:`_block_sum_and_grad`'s (its sum unused: the losses cost little next to
    the gradient, and nothing more is compiled); the losses and the hessian go to
    :func:`_plain_map` or :func:`_buffered_map`. In compiled code ``kind`` must be a literal.
    """
    if order == 1:
        _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, out, start, stop)
    else:
        block = _buffered_map if kind in _BUFFERED_KINDS else _plain_map
        block(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop)


@overload(_map_block, prefer_literal=True, jit_options={"fastmath": FASTMATH, "error_model": ERROR_MODEL})
def _map_block_of_kind(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
    """:func:`_map_block` for one loss, picked at typing time (as :func:`_block_sum_and_grad_of_kind`)."""
    if not isinstance(kind, types.IntegerLiteral):
        return None
    the_kind = kind.literal_value
    block = _buffered_map if the_kind in _BUFFERED_KINDS else _plain_map

    def map_block(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
        if order == 1:
            _block_sum_and_grad(the_kind, params, y_true, y_pred, weights, inner, scale, out, start, stop)
        else:
            block(the_kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop)
    return map_block


def _kernels_of(kind):
    """The three kernels of loss ``kind`` (two parallel ones; the sum alone calls the fused one).
    ``kind`` is a closure constant, so each compiles that loss's block functions alone: a cold first
    ``lj.mse`` call took 8.6 s, against 54.7 s when one kernel took ``kind`` as an argument and
    compiled every loss."""

    @njit(cache=True, parallel=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
    def pointwise_sum_and_grad(params, y_true, y_pred, weights, inner, scale, grad):
        """Fused: returns sum_i w_i * l_i and writes grad_i = scale * w_i * dl_i/dp_i."""
        n = y_pred.size
        if n <= BLOCK_SIZE:
            return _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, _FIRST, n)
        n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
        partials = np.empty(n_blocks)
        if n < PARALLEL_THRESHOLD:
            for b in range(n_blocks):
                start = b * BLOCK_SIZE
                stop = min(start + BLOCK_SIZE, n)
                partials[b] = _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start,
                                                  stop)
        else:
            for b in prange(n_blocks):
                start = b * BLOCK_SIZE
                stop = min(start + BLOCK_SIZE, n)
                partials[b] = _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start,
                                                  stop)
        return _sum_in_order(partials)

    @njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
    def pointwise_sum(params, y_true, y_pred, weights, inner):
        """sum_i w_i * l(y_i, p_i), accumulated in float64: the fused kernel with an empty gradient."""
        return pointwise_sum_and_grad(params, y_true, y_pred, weights, inner, y_pred.dtype.type(1), y_pred[:0])

    @njit(cache=True, parallel=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
    def pointwise_map(params, y_true, y_pred, weights, inner, scale, order, out):
        """out_i = scale * w_i * (l_i, dl_i/dp_i or d2l_i/dp_i^2 for order 0, 1, 2)."""
        n = y_pred.size
        if n < PARALLEL_THRESHOLD:
            _map_block(kind, params, y_true, y_pred, weights, inner, scale, order, out, _FIRST, n)
        else:
            n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
            for b in prange(n_blocks):
                start = b * BLOCK_SIZE
                _map_block(kind, params, y_true, y_pred, weights, inner, scale, order, out, start,
                           min(start + BLOCK_SIZE, n))

    return pointwise_sum, pointwise_sum_and_grad, pointwise_map


#: Indexed by kind: ``pointwise_sum[kind](params, y_true, y_pred, weights, inner)``,
#: ``pointwise_sum_and_grad[kind](params, y_true, y_pred, weights, inner, scale, grad)`` and
#: ``pointwise_map[kind](params, y_true, y_pred, weights, inner, scale, order, out)``.
pointwise_sum, pointwise_sum_and_grad, pointwise_map = zip(*(_kernels_of(kind) for kind in range(KL_LOG + 1)))
