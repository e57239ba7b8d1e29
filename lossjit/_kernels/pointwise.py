"""Kernels of the pointwise losses: ``loss = reduce_i w_i * l(y_i, p_i)``.

Every pointwise loss is a case of :func:`_loss_and_grad` and :func:`_hessian`,
chosen by an integer ``kind``; the loop kernels below are written once for all
of them. ``params`` holds a loss's parameters in the compute dtype, so float32
element maths stays in float32 (constants are written as ``np.float32``, which
float64 arithmetic promotes losslessly). Sums accumulate in float64 over fixed
blocks of :data:`BLOCK_SIZE` elements, added in block order.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds
one weight per run of ``inner`` consecutive elements.
"""

import math

import numpy as np
from numba import njit, prange

from .._config import BLOCK_SIZE, FASTMATH, PARALLEL_THRESHOLD

MSE = 0
MAE = 1
HUBER = 2  # params[0] = delta
BCE_PROBABILITIES = 3  # params[0] = epsilon
BCE_LOGITS = 4

_ZERO = np.float32(0.0)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_TWO = np.float32(2.0)


@njit(inline="always", fastmath=FASTMATH)
def _sign(x):
    """sign(x), 0 at 0 and NaN for NaN."""
    if x > 0:
        return _ONE
    if x < 0:
        return -_ONE
    return x


@njit(inline="always", fastmath=FASTMATH)
def _log1p_exp_and_sigmoid(z):
    """(log(1 + exp(-|z|)), sigmoid(z)), stable for any z."""
    e = math.exp(-abs(z))
    if z >= 0:
        sigmoid = _ONE / (_ONE + e)
    else:
        sigmoid = e / (_ONE + e)
    return math.log1p(e), sigmoid


@njit(inline="always", fastmath=FASTMATH)
def _clip_probability(p, eps):
    """Clip p to [eps, 1 - eps]; NaN stays NaN. Returns (clipped p, inside)."""
    if p < eps:
        return eps, False
    if p > _ONE - eps:
        return _ONE - eps, False
    return p, True


@njit(inline="always", fastmath=FASTMATH)
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
        if a <= delta:
            return _HALF * d * d, d
        if a > delta:
            return delta * (a - _HALF * delta), delta * _sign(d)
        return d, d  # NaN
    if kind == BCE_PROBABILITIES:
        q, inside = _clip_probability(p, params[0])
        loss = -(y * math.log(q) + (_ONE - y) * math.log1p(-q))
        if inside:
            return loss, (q - y) / (q * (_ONE - q))
        return loss, _ZERO
    # BCE_LOGITS
    softplus_tail, sigmoid = _log1p_exp_and_sigmoid(p)
    return max(p, _ZERO) - p * y + softplus_tail, sigmoid - y


@njit(inline="always", fastmath=FASTMATH)
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
        q, inside = _clip_probability(p, params[0])
        if inside:
            return y / (q * q) + (_ONE - y) / ((_ONE - q) * (_ONE - q))
        return _ZERO
    _, sigmoid = _log1p_exp_and_sigmoid(p)
    return sigmoid * (_ONE - sigmoid)


@njit(fastmath=FASTMATH)
def _block_sum(kind, params, y_true, y_pred, weights, inner, start, stop):
    """float64 sum of w_i * l_i over elements [start, stop)."""
    total = 0.0
    if weights.size == 0:
        for i in range(start, stop):
            total += _loss_and_grad(kind, y_true[i], y_pred[i], params)[0]
    else:
        for i in range(start, stop):
            loss = _loss_and_grad(kind, y_true[i], y_pred[i], params)[0]
            total += weights[i // inner] * loss
    return total


@njit(fastmath=FASTMATH)
def _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop):
    """float64 sum of w_i * l_i over [start, stop); grad_i = scale * w_i * dl_i/dp_i."""
    total = 0.0
    if weights.size == 0:
        for i in range(start, stop):
            loss, g = _loss_and_grad(kind, y_true[i], y_pred[i], params)
            total += loss
            grad[i] = scale * g
    else:
        for i in range(start, stop):
            loss, g = _loss_and_grad(kind, y_true[i], y_pred[i], params)
            w = weights[i // inner]
            total += w * loss
            grad[i] = (scale * w) * g
    return total


@njit(fastmath=FASTMATH)
def _sum_in_order(partials):
    total = 0.0
    for b in range(partials.size):
        total += partials[b]
    return total


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def pointwise_sum(kind, params, y_true, y_pred, weights, inner):
    """sum_i w_i * l(y_i, p_i), accumulated in float64."""
    n = y_pred.size
    n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
    partials = np.empty(n_blocks)
    if n < PARALLEL_THRESHOLD:
        for b in range(n_blocks):
            start = b * BLOCK_SIZE
            partials[b] = _block_sum(kind, params, y_true, y_pred, weights, inner, start, min(start + BLOCK_SIZE, n))
    else:
        for b in prange(n_blocks):
            start = b * BLOCK_SIZE
            partials[b] = _block_sum(kind, params, y_true, y_pred, weights, inner, start, min(start + BLOCK_SIZE, n))
    return _sum_in_order(partials)


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def pointwise_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad):
    """Fused: returns sum_i w_i * l_i and writes grad_i = scale * w_i * dl_i/dp_i."""
    n = y_pred.size
    n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
    partials = np.empty(n_blocks)
    if n < PARALLEL_THRESHOLD:
        for b in range(n_blocks):
            start = b * BLOCK_SIZE
            stop = min(start + BLOCK_SIZE, n)
            partials[b] = _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop)
    else:
        for b in prange(n_blocks):
            start = b * BLOCK_SIZE
            stop = min(start + BLOCK_SIZE, n)
            partials[b] = _block_sum_and_grad(kind, params, y_true, y_pred, weights, inner, scale, grad, start, stop)
    return _sum_in_order(partials)


@njit(fastmath=FASTMATH)
def _map_range(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, stop):
    for i in range(start, stop):
        if order == 0:
            value = _loss_and_grad(kind, y_true[i], y_pred[i], params)[0]
        elif order == 1:
            value = _loss_and_grad(kind, y_true[i], y_pred[i], params)[1]
        else:
            value = _hessian(kind, y_true[i], y_pred[i], params)
        if weights.size == 0:
            out[i] = scale * value
        else:
            out[i] = (scale * weights[i // inner]) * value


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def pointwise_map(kind, params, y_true, y_pred, weights, inner, scale, order, out):
    """out_i = scale * w_i * (l_i, dl_i/dp_i or d2l_i/dp_i2 for order 0, 1, 2)."""
    n = y_pred.size
    if n < PARALLEL_THRESHOLD:
        _map_range(kind, params, y_true, y_pred, weights, inner, scale, order, out, 0, n)
    else:
        n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
        for b in prange(n_blocks):
            start = b * BLOCK_SIZE
            _map_range(kind, params, y_true, y_pred, weights, inner, scale, order, out, start, min(start + BLOCK_SIZE, n))
