"""Plain float64 NumPy references for lossjit's losses, and finite differences.

The one place for naive references: the loss tests check lossjit against them, and
``test_benchmark_script.py`` checks the benchmark's timed NumPy formulas against them.

Each pointwise reference returns per-element ``(loss, dloss/dp, d2loss/dp2)`` in float64,
derived independently of the kernels where it can be (log-cosh through ``logaddexp``, focal
on logits by the chain rule through the probability form, binary cross-entropy with
pos_weight from its textbook form). :func:`reduce` applies ``sample_weight`` and a reduction
as the README states: ``"sum"`` is ``sum w l``, ``"mean"`` is ``sum w l / sum w`` and
``"none"`` is ``w l``, where a weight of shape ``(N,)`` (a leading part of the loss's shape)
weighs every element of row ``n``. :func:`pointwise` looks a reference up by lossjit's name.
"""

import numpy as np

EPSILON = 1e-7


def clip_bounds(dtype=np.float64):
    """``(EPSILON, 1 - EPSILON)`` as the kernel sees them in ``dtype``, as float64.

    In float32, ``1 - 1e-7`` rounds to ``1 - 2**-23``, and ``log1p(-q)`` at
    that bound is -15.9, not -16.1: the reference clips where the kernel does.
    """
    dtype = np.dtype(dtype)
    eps = dtype.type(EPSILON)
    return float(eps), float(dtype.type(1) - eps)


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------- regression


def mse(y, p):
    y, p = _f64(y, p)
    d = p - y
    return d * d, 2 * d, np.full_like(d, 2.0)


def mae(y, p):
    y, p = _f64(y, p)
    d = p - y
    return np.abs(d), np.sign(d), np.zeros_like(d)


def huber(y, p, delta=1.0):
    y, p = _f64(y, p)
    d = p - y
    small = np.abs(d) <= delta
    loss = np.where(small, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    return loss, np.clip(d, -delta, delta), small.astype(np.float64)


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


# ---------------------------------------------------------------- classification


def bce_probabilities(y, p, dtype=np.float64):
    """The foundation formula: probabilities clipped to [EPSILON, 1 - EPSILON]; zero gradient where clipped."""
    y, p = _f64(y, p)
    low, high = clip_bounds(dtype)
    q = np.clip(p, low, high)
    inside = (p >= low) & (p <= high)
    loss = -(y * np.log(q) + (1 - y) * np.log1p(-q))
    grad = np.where(inside, (q - y) / (q * (1 - q)), 0.0)
    hess = np.where(inside, y / q**2 + (1 - y) / (1 - q) ** 2, 0.0)
    return loss, grad, hess


def bce_logits(y, z):
    """The foundation formula: log(1 + exp(z)) - y z, computed stably."""
    y, z = _f64(y, z)
    s = sigmoid(z)
    return np.logaddexp(0.0, z) - y * z, s - y, s * sigmoid(-z)  # not s (1 - s): 1 - s cancels for large z


def binary_cross_entropy(y, p, from_logits=False, pos_weight=1.0, label_smoothing=0.0, dtype=np.float64):
    """The foundation formulas for lossjit's defaults; with ``pos_weight`` or ``label_smoothing`` the
    textbook form -[a t log s + (1 - t) log(1 - s)], t = y (1 - ls) + ls / 2, s = p clipped or sigmoid(p)."""
    if pos_weight == 1 and label_smoothing == 0:
        return bce_logits(y, p) if from_logits else bce_probabilities(y, p, dtype)
    y, p = _f64(y, p)
    t = y * (1 - label_smoothing) + 0.5 * label_smoothing
    a = pos_weight
    if from_logits:
        loss = a * t * np.logaddexp(0.0, -p) + (1 - t) * np.logaddexp(0.0, p)
        s = sigmoid(p)
        return loss, (1 - t + a * t) * s - a * t, (1 - t + a * t) * s * sigmoid(-p)  # 1 - s cancels
    low, high = clip_bounds(dtype)
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
        s = sigmoid(p)
        loss, grad, hess = _focal_of_probability(y, s, gamma, weight)
        ds = s * (1 - s)
        return loss, grad * ds, hess * ds**2 + grad * ds * (1 - 2 * s)
    low, high = clip_bounds(dtype)
    s = np.clip(p, low, high)
    inside = (p >= low) & (p <= high)
    loss, grad, hess = _focal_of_probability(y, s, gamma, weight)
    return loss, np.where(inside, grad, 0.0), np.where(inside, hess, 0.0)


def signed_labels(y):
    """Labels in {0, 1} as -1 and 1; any other labels as they are."""
    y = np.asarray(y, dtype=np.float64)
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def hinge(y, p):
    y, p = signed_labels(y), np.asarray(p, dtype=np.float64)
    margin = 1 - y * p
    return np.maximum(0.0, margin), np.where(margin > 0, -y, 0.0), np.zeros_like(margin)


def squared_hinge(y, p):
    y, p = signed_labels(y), np.asarray(p, dtype=np.float64)
    margin = np.maximum(0.0, 1 - y * p)
    return margin**2, -2 * y * margin, np.where(margin > 0, 2 * y * y, 0.0)


def kl_divergence(y, p, log_input=False, dtype=np.float64):
    y, p = _f64(y, p)
    if log_input:
        log_y = np.log(np.where(y > 0, y, 1.0))
        return np.where(y > 0, y * (log_y - p), 0.0), -y, np.zeros_like(y)
    low = clip_bounds(dtype)[0]
    q = np.maximum(p, low)
    inside = p >= low
    ratio = np.where(y > 0, y / q, 1.0)
    loss = np.where(y > 0, y * np.log(ratio), 0.0)
    return loss, np.where(inside, -y / q, 0.0), np.where(inside, y / q**2, 0.0)


# ---------------------------------------------------------------- weights, reductions, look-up


def full_weights(sample_weight, shape):
    """``sample_weight`` (None, the loss's shape or a leading part of it) broadcast to ``shape``."""
    if sample_weight is None:
        return np.ones(shape)
    w = np.asarray(sample_weight, dtype=np.float64)
    return np.broadcast_to(w.reshape(w.shape + (1,) * (len(shape) - w.ndim)), shape)


def reduce(elementwise, sample_weight=None, reduction="mean"):
    """``(loss, grad, hessian)`` of the reduced loss from per-element ``(l, dl, d2l)``."""
    loss, grad, hess = elementwise
    w = full_weights(sample_weight, loss.shape)
    if reduction == "none":
        return w * loss, w * grad, w * hess
    scale = 1.0 / w.sum() if reduction == "mean" else 1.0
    return np.sum(w * loss) * scale, w * grad * scale, w * hess * scale


#: lossjit's pointwise losses by name.
POINTWISE = {
    "mse": mse,
    "mae": mae,
    "huber": huber,
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
    """Reference ``(loss, grad, hessian)`` of a pointwise loss by its lossjit name, reduced as lossjit reduces."""
    if name in NEEDS_DTYPE:
        options["dtype"] = dtype
    return reduce(POINTWISE[name](y, p, **options), sample_weight, reduction)


# ---------------------------------------------------------------- softmax


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(y_true, y_pred, *, sample_weight=None, reduction="mean", from_logits=False, axis=-1,
                  class_weight=None, ignore_index=-100, label_smoothing=0.0, dtype=np.float64):
    """Reference ``(loss, grad)`` of softmax cross-entropy with torch's semantics.

    Coefficients per row n and class c (``w`` class weights, ``eps`` label smoothing)::

        labels:         a_c = (1 - eps) w_{y_n} [c = y_n] + eps w_c / C   (0 if y_n == ignore_index)
        probabilities:  a_c = w_c ((1 - eps) t_nc + eps / C)

    ``l_n = -sum_c a_c log q_nc``; the mean divides ``sum_n s_n l_n`` by
    ``sum_n s_n w_{y_n}`` over kept rows (labels) or ``sum_n s_n`` (probabilities),
    where ``s_n`` is the row's sample weight.
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    axis = axis % y_pred.ndim
    moved = np.moveaxis(y_pred, axis, -1)
    loss_shape = moved.shape[:-1]
    n_classes = moved.shape[-1]
    z = moved.reshape(-1, n_classes)
    w = np.ones(n_classes) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    eps = float(label_smoothing)
    if y_true.shape == y_pred.shape:
        t = np.moveaxis(y_true.astype(np.float64), axis, -1).reshape(-1, n_classes)
        a = w * ((1 - eps) * t + eps / n_classes)
        kept_weight = np.ones(len(z))
    else:
        labels = y_true.astype(np.int64).reshape(-1)
        kept = labels != ignore_index
        safe = np.where(kept, labels, 0)
        one_hot = safe[:, None] == np.arange(n_classes)
        a = (1 - eps) * w[safe][:, None] * one_hot + eps * w / n_classes
        a = np.where(kept[:, None], a, 0.0)
        kept_weight = np.where(kept, w[safe], 0.0)
    if from_logits:
        log_q = log_softmax(z)
        grad = a.sum(axis=1, keepdims=True) * np.exp(log_q) - a
    else:
        low, high = clip_bounds(dtype)
        q = np.clip(z, low, high)
        log_q = np.log(q)
        grad = np.where((z >= low) & (z <= high), -a / q, 0.0)
    row_loss = -(a * log_q).sum(axis=1)
    s = full_weights(sample_weight, loss_shape).reshape(-1)
    if reduction == "none":
        loss = (s * row_loss).reshape(loss_shape)
        scale = s
    else:
        denominator = np.sum(s * kept_weight) if reduction == "mean" else 1.0
        loss = np.sum(s * row_loss) / denominator
        scale = s / denominator
    grad = (scale[:, None] * grad).reshape(moved.shape)
    return loss, np.moveaxis(grad, -1, axis)


# ---------------------------------------------------------------- finite differences


def numerical_grad(f, x, h=1e-6):
    """Central finite differences of the scalar function ``f`` at every element of float64 ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        forward = f(x.copy())
        x[index] = saved - h
        backward = f(x.copy())
        x[index] = saved
        grad[index] = (forward - backward) / (2 * h)
    return grad
