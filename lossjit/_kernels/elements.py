"""The maths of every built-in pointwise loss: one element function each.

An element function takes one target ``y``, one prediction ``p`` and the loss's parameters, and
returns ``(l, dl/dp, d2l/dp2)``: the loss and its first two derivatives with respect to ``p``.
:mod:`.pointwise` compiles it into a loss kernel; ``lossjit.pointwise_loss`` does the same for
a user's function. Each is plain Python that Numba compiles, so it also runs uncompiled
(``NUMBA_DISABLE_JIT=1``).

Written for speed in float32 as in float64: constants are ``np.float32`` (:func:`.typed.constant`: float64
arithmetic promotes them losslessly, float32 arithmetic stays float32), parameters come in the compute dtype,
exp and log are :mod:`.vector_math`'s and the helpers below are inlined by Numba
(``inline="always"``: left to LLVM, the larger ones stay calls), so loops of these functions vectorise. Comparisons
select rather than branch where they can (``a if c else b``), for the same reason. NaN in ``y`` or
``p`` gives NaN in every output (``d * _ZERO`` keeps a NaN where a constant would drop it).
"""

import numpy as np
from numba import njit

from .._config import EPSILON, INLINE
from .typed import constant
from .vector_math import (clip_probability, exp_any, exp_nonpositive, log1p_unit, log_nonnegative, log_one_minus,
                          log_positive, sinh_small)

_ZERO, _HALF, _ONE, _TWO, _FOUR = (constant(value) for value in (0.0, 0.5, 1.0, 2.0, 4.0))


def mse(y, p):
    """(p - y)^2."""
    d = p - y
    return d * d, d + d, _TWO + d * _ZERO


def mae(y, p):
    """|p - y|; the subgradient at 0 is 0."""
    d = p - y
    return abs(d), _sign(d), d * _ZERO


def huber(y, p, delta=1.0):
    """d^2 / 2 for |d| <= delta, delta (|d| - delta / 2) beyond, d = p - y."""
    d = p - y
    a = abs(d)
    outside = a > delta  # NaN takes the inner side, and stays NaN there
    loss = delta * (a - _HALF * delta) if outside else _HALF * d * d
    slope = delta if d > 0 else -delta
    return loss, (slope if outside else d), (d * _ZERO if outside else _ONE + d * _ZERO)


def smooth_l1(y, p, beta=1.0):
    """d^2 / (2 beta) for |d| < beta, |d| - beta / 2 beyond, d = p - y (torch's SmoothL1Loss)."""
    d = p - y
    a = abs(d)
    if a < beta:
        return _HALF * d * d / beta, d / beta, _ONE / beta + d * _ZERO
    if a >= beta:
        return a - _HALF * beta, _sign(d), d * _ZERO
    return d, d, d  # NaN


def log_cosh(y, p):
    """log cosh(p - y)."""
    return _log_cosh(p - y)


def quantile(y, p, q=0.5):
    """max(q (y - p), (q - 1)(y - p)): the pinball loss; the subgradient at y = p is 0."""
    d = y - p
    weight = q - _ONE if d < 0 else q  # the loss as one select: a three-way branch kept two compares per element
    slope = -q if d > 0 else (_ONE - q if d < 0 else d)  # d: 0, or NaN for NaN
    return weight * d, slope, d * _ZERO


def poisson_log_rate(y, r):
    """exp(r) - y r: the Poisson negative log-likelihood of count y at log-rate r, without log(y!)."""
    rate = exp_any(r)
    return rate - y * r, rate - y, rate + y * _ZERO


def poisson_rate(y, p, epsilon=EPSILON):
    """p - y log(p + epsilon): the same at rate p >= 0 (Keras's Poisson)."""
    shifted = p + epsilon
    return p - y * log_nonnegative(shifted), _ONE - y / shifted, y / (shifted * shifted)


def binary_cross_entropy(y, p, epsilon=EPSILON, pos_weight=1.0, keep=1.0, shift=0.0):
    """-[a y log q + (1 - y) log(1 - q)] with q = p clipped to [epsilon, 1 - epsilon], a = pos_weight,
    after label smoothing y <- keep y + shift. Flat (zero derivatives) where p was clipped."""
    y = y * keep + shift
    positive = pos_weight * y  # coefficient of -log q
    negative = _ONE - y  # coefficient of -log(1 - q)
    q, inside = clip_probability(p, epsilon)
    r = _ONE - q
    loss = -(positive * log_positive(q) + negative * log_one_minus(q))
    grad = (negative * q - positive * r) / (q * r)  # over one division: divisions bound these loops
    hess = positive / (q * q) + negative / (r * r)
    return loss, (grad if inside else _ZERO), (hess if inside else _ZERO)


def binary_cross_entropy_logits(y, z, pos_weight=1.0, keep=1.0, shift=0.0):
    """The same with q = sigmoid(z), from the logit z without overflow:
    -log sigmoid(z) = max(-z, 0) + log(1 + exp(-|z|))."""
    y = y * keep + shift
    positive = pos_weight * y
    negative = _ONE - y
    tail, s, r = _sigmoid_pair(z)
    loss = positive * (max(-z, _ZERO) + tail) + negative * (max(z, _ZERO) + tail)
    return loss, negative * s - positive * r, (positive + negative) * s * r


def focal(y, p, gamma=2.0, alpha_positive=1.0, alpha_negative=1.0, epsilon=EPSILON):
    """w_y m^gamma c: binary cross-entropy c scaled by m = 1 - p_t, the probability given to the wrong
    side, with class weights w_y = alpha_positive y + alpha_negative (1 - y); p clipped as for
    binary cross-entropy.

    The derivatives use only the bounded ratio m'/m, never m^(gamma - 1), so they stay finite for
    gamma < 1 as p_t -> 1.
    """
    s, inside = clip_probability(p, epsilon)
    r = _ONE - s
    c = -(y * log_positive(s) + (_ONE - y) * log_one_minus(s))
    m = y * r + (_ONE - y) * s
    dc = (s - y) / (s * r)
    d2c = y / (s * s) + (_ONE - y) / (r * r)
    loss, grad, hess = _focal_terms(y, m, c, dc, d2c, (_ONE - y - y) / m, _ZERO, gamma, alpha_positive, alpha_negative)
    return loss, (grad if inside else _ZERO), (hess if inside else _ZERO)  # clipped: flat


def focal_logits(y, z, gamma=2.0, alpha_positive=1.0, alpha_negative=1.0):
    """The focal loss of the logit z, s = sigmoid(z), with stable sigmoids."""
    tail, s, r = _sigmoid_pair(z)  # r = 1 - s
    c = y * (max(-z, _ZERO) + tail) + (_ONE - y) * (max(z, _ZERO) + tail)
    dc = (_ONE - y) * s - y * r
    m = y * r + (_ONE - y) * s
    spread = _ONE if m == 0 else s * r / m  # m = 0: saturated with a hard label, s r / m -> 1
    dm_m = (_ONE - y - y) * spread  # m' / m, with m' = (1 - 2y) s r
    return _focal_terms(y, m, c, dc, s * r, dm_m, dm_m * (r - s), gamma, alpha_positive, alpha_negative)


def hinge(y, p, label_scale=1.0, label_shift=0.0):
    """max(0, 1 - t p) with the label t = label_scale y + label_shift in {-1, 1}; subgradient 0 at the kink."""
    t = label_scale * y + label_shift
    margin = _ONE - t * p
    if margin > 0:
        return margin, -t, margin * _ZERO
    if margin <= 0:
        return _ZERO, _ZERO, margin * _ZERO
    return margin, margin, margin  # NaN


def squared_hinge(y, p, label_scale=1.0, label_shift=0.0):
    """max(0, 1 - t p)^2, t as for :func:`hinge`."""
    t = label_scale * y + label_shift
    margin = _ONE - t * p
    if margin > 0:
        return margin * margin, -(margin + margin) * t, _TWO * t * t
    if margin <= 0:
        return _ZERO, _ZERO, margin * _ZERO
    return margin, margin, margin  # NaN


def kl_divergence(y, p, epsilon=EPSILON):
    """y log(y / q), q = p clipped below at epsilon, 0 log 0 = 0; flat where p was clipped."""
    q = epsilon if p < epsilon else p  # NaN stays NaN
    unlabelled = y == 0
    inside = p >= epsilon
    loss = p * _ZERO if unlabelled else y * log_nonnegative(y / q)
    grad = -y / q if inside else p * _ZERO
    hess = y / (p * p) if inside else (p + y) * _ZERO
    return loss, (p * _ZERO if unlabelled else grad), hess


def kl_divergence_log(y, r):
    """y (log y - r) of the log-probability r = log p, 0 log 0 = 0."""
    return (r * _ZERO if y == 0 else y * (log_nonnegative(y) - r)), r * _ZERO - y, (r + y) * _ZERO


@njit(**INLINE)
def _sign(x):
    """sign(x), 0 at 0 and NaN for NaN."""
    return _ONE if x > 0 else (-_ONE if x < 0 else x)


@njit(**INLINE)
def _sigmoid_pair(z):
    """(log(1 + exp(-|z|)), sigmoid(z), sigmoid(-z)), each without cancellation."""
    e = exp_nonpositive(-abs(z))
    tail = log1p_unit(e)
    large = _ONE / (_ONE + e)
    small = e * large
    if z >= 0:
        return tail, large, small
    return tail, small, large


@njit(**INLINE)
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


@njit(**INLINE)
def _focal_terms(y, m, c, dc, d2c, dm_m, d2m_m, gamma, alpha_positive, alpha_negative):
    """(l, dl/dp, d2l/dp2) of w_y m^gamma c from c, its derivatives and the ratios m'/m and m''/m."""
    weight = alpha_positive * y + alpha_negative * (_ONE - y)
    power = _ONE + m * _ZERO if gamma == 0 else exp_any(gamma * log_nonnegative(m))  # m^gamma, vectorisable
    factor = weight * power
    loss = factor * c
    grad = factor * (gamma * c * dm_m + dc)
    hess = factor * (gamma * (gamma - _ONE) * c * dm_m * dm_m + gamma * c * d2m_m
                     + (gamma + gamma) * dm_m * dc + d2c)
    return loss, grad, hess
