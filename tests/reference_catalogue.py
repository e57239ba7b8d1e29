"""Plain float64 NumPy references for the catalogue's pointwise losses.

Each function returns per-element ``(loss, dloss/dp, d2loss/dp2)`` in float64,
derived independently of the kernels where it can be (log-cosh through
``logaddexp``, focal on logits by the chain rule through the probability form,
binary cross-entropy with pos_weight from its textbook form).
``reference.reduce`` applies weights and reductions.
"""

import numpy as np

import reference

EPSILON = reference.EPSILON


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def log_cosh(y, p):
    y, p = _f64(y, p)
    d = p - y
    loss = np.logaddexp(d, -d) - np.log(2.0)
    return loss, np.tanh(d), np.exp(-2 * loss)  # sech^2 d = exp(-2 log cosh d)


def quantile(y, p, q=0.5):
    y, p = _f64(y, p)
    d = y - p
    loss = np.maximum(q * d, (q - 1) * d)
    grad = np.where(d > 0, -q, np.where(d < 0, 1 - q, 0.0))
    return loss, grad, np.zeros_like(d)


def poisson(y, p, log_input=True):
    y, p = _f64(y, p)
    if log_input:
        return np.exp(p) - y * p, np.exp(p) - y, np.exp(p)
    return p - y * np.log(p + EPSILON), 1 - y / (p + EPSILON), y / (p + EPSILON) ** 2


def smooth_l1(y, p, beta=1.0):
    y, p = _f64(y, p)
    d = p - y
    small = np.abs(d) < beta
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(small, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)
        grad = np.where(small, d / beta, np.sign(d))
        hess = np.where(small, 1 / np.float64(beta), 0.0)
    return loss, grad, hess


def binary_cross_entropy(y, p, from_logits=False, pos_weight=1.0, label_smoothing=0.0, dtype=np.float64):
    """-[a t log s + (1 - t) log(1 - s)] with t = y (1 - ls) + ls / 2, s = p clipped or sigmoid(p)."""
    y, p = _f64(y, p)
    t = y * (1 - label_smoothing) + 0.5 * label_smoothing
    a = pos_weight
    if from_logits:
        loss = a * t * np.logaddexp(0.0, -p) + (1 - t) * np.logaddexp(0.0, p)
        s = reference.sigmoid(p)
        return loss, (1 - t + a * t) * s - a * t, (1 - t + a * t) * s * reference.sigmoid(-p)  # 1 - s cancels
    low, high = reference.clip_bounds(dtype)
    s = np.clip(p, low, high)
    inside = (p >= low) & (p <= high)
    loss = -(a * t * np.log(s) + (1 - t) * np.log1p(-s))
    grad = np.where(inside, -a * t / s + (1 - t) / (1 - s), 0.0)
    hess = np.where(inside, a * t / s**2 + (1 - t) / (1 - s) ** 2, 0.0)
    return loss, grad, hess


def _focal_of_probability(y, s, gamma, weight):
    """(F, F', F'') of F(s) = w m^gamma c(s) with m = y (1 - s) + (1 - y) s, by the textbook formulas."""
    c = -(y * np.log(s) + (1 - y) * np.log1p(-s))
    dc = (s - y) / (s * (1 - s))
    d2c = y / s**2 + (1 - y) / (1 - s) ** 2
    m = y * (1 - s) + (1 - y) * s
    dm = 1 - 2 * y
    loss = weight * m**gamma * c
    grad = weight * (gamma * m ** (gamma - 1) * dm * c + m**gamma * dc)
    hess = weight * (gamma * (gamma - 1) * m ** (gamma - 2) * dm**2 * c + 2 * gamma * m ** (gamma - 1) * dm * dc
                     + m**gamma * d2c)
    return loss, grad, hess


def focal(y, p, gamma=2.0, alpha=None, from_logits=False, dtype=np.float64):
    """Valid for moderate inputs (|logit| <~ 30): the chain rule through the probability form."""
    y, p = _f64(y, p)
    weight = np.ones_like(y) if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    if from_logits:
        s = reference.sigmoid(p)
        loss, grad, hess = _focal_of_probability(y, s, gamma, weight)
        ds = s * (1 - s)
        return loss, grad * ds, hess * ds**2 + grad * ds * (1 - 2 * s)
    low, high = reference.clip_bounds(dtype)
    s = np.clip(p, low, high)
    inside = (p >= low) & (p <= high)
    loss, grad, hess = _focal_of_probability(y, s, gamma, weight)
    return loss, np.where(inside, grad, 0.0), np.where(inside, hess, 0.0)


def _signed_labels(y):
    y = np.asarray(y, dtype=np.float64)
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def hinge(y, p):
    y, p = _signed_labels(y), np.asarray(p, dtype=np.float64)
    margin = 1 - y * p
    return np.maximum(0.0, margin), np.where(margin > 0, -y, 0.0), np.zeros_like(margin)


def squared_hinge(y, p):
    y, p = _signed_labels(y), np.asarray(p, dtype=np.float64)
    margin = np.maximum(0.0, 1 - y * p)
    return margin**2, -2 * y * margin, np.where(margin > 0, 2 * y * y, 0.0)


def kl_divergence(y, p, log_input=False, dtype=np.float64):
    y, p = _f64(y, p)
    if log_input:
        log_y = np.log(np.where(y > 0, y, 1.0))
        return np.where(y > 0, y * (log_y - p), 0.0), -y, np.zeros_like(y)
    low = reference.clip_bounds(dtype)[0]
    q = np.maximum(p, low)
    inside = p >= low
    ratio = np.where(y > 0, y / q, 1.0)
    loss = np.where(y > 0, y * np.log(ratio), 0.0)
    return loss, np.where(inside, -y / q, 0.0), np.where(inside, y / q**2, 0.0)


CATALOGUE = {
    "log_cosh": log_cosh,
    "quantile": quantile,
    "poisson": poisson,
    "smooth_l1": smooth_l1,
    "binary_cross_entropy": binary_cross_entropy,
    "focal": focal,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "kl_divergence": kl_divergence,
}

#: References that clip probabilities need the compute dtype's clip bounds.
NEEDS_DTYPE = {"binary_cross_entropy", "focal", "kl_divergence"}


def pointwise(name, y, p, *, sample_weight=None, reduction="mean", dtype=np.float64, **options):
    """Reference ``(loss, grad, hessian)`` of a catalogue loss, reduced as lossjit reduces."""
    if name in NEEDS_DTYPE:
        options["dtype"] = dtype
    return reference.reduce(CATALOGUE[name](y, p, **options), sample_weight, reduction)
