"""Plain float64 NumPy references for the foundation losses, and finite differences.

Each pointwise reference returns per-element ``(loss, dloss/dp, d2loss/dp2)``;
:func:`reduce` applies ``sample_weight`` and a reduction as the README states:
``"sum"`` is ``sum w l``, ``"mean"`` is ``sum w l / sum w`` and ``"none"`` is
``w l``, where a weight of shape ``(N,)`` (a leading part of the loss's
shape) weighs every element of row ``n``.
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


def bce_probabilities(y, p, dtype=np.float64):
    """Probabilities clipped to [EPSILON, 1 - EPSILON]; zero gradient where clipped."""
    y, p = _f64(y, p)
    low, high = clip_bounds(dtype)
    q = np.clip(p, low, high)
    inside = (p >= low) & (p <= high)
    loss = -(y * np.log(q) + (1 - y) * np.log1p(-q))
    grad = np.where(inside, (q - y) / (q * (1 - q)), 0.0)
    hess = np.where(inside, y / q**2 + (1 - y) / (1 - q) ** 2, 0.0)
    return loss, grad, hess


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def bce_logits(y, z):
    """log(1 + exp(z)) - y z, computed stably."""
    y, z = _f64(y, z)
    s = sigmoid(z)
    return np.logaddexp(0.0, z) - y * z, s - y, s * sigmoid(-z)  # not s (1 - s): 1 - s cancels for large z


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


POINTWISE = {
    "mse": mse,
    "mae": mae,
    "huber": huber,
}


def pointwise(name, y, p, *, sample_weight=None, reduction="mean", dtype=np.float64, **options):
    """Reference ``(loss, grad, hessian)`` of a foundation pointwise loss by its lossjit name."""
    if name == "binary_cross_entropy":
        elementwise = bce_logits(y, p) if options.get("from_logits") else bce_probabilities(y, p, dtype)
    else:
        elementwise = POINTWISE[name](y, p, **options)
    return reduce(elementwise, sample_weight, reduction)


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
