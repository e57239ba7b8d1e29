"""Plain float64 NumPy references of the multi-class hinge losses (lossjit.multiclass).

Each returns ``(value, grad)`` for ``y_pred`` of shape ``(*batch, C)`` (classes last) and ``y_true`` of
class indices (shape ``batch``) or, for categorical_hinge, class probabilities of ``y_pred``'s shape.
Reductions as the README states: ``"sum"`` is ``sum_n s_n l_n``, ``"mean"`` divides it by ``sum_n s_n``,
``"none"`` is ``s_n l_n``. Subgradients: 0 at a hinge's kink, arg-maxima are the first (``np.argmax``,
which also takes the first NaN).
"""

import numpy as np


def _rows(y_true, y_pred):
    """(scores (R, C), class indices (R,) or None, targets (R, C) or None, batch shape) in float64."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    n_classes = y_pred.shape[-1]
    scores = y_pred.reshape(-1, n_classes)
    if y_true.shape == y_pred.shape:
        return scores, None, y_true.astype(np.float64).reshape(-1, n_classes), y_pred.shape[:-1]
    return scores, y_true.astype(np.int64).reshape(-1), None, y_pred.shape[:-1]


def _step(z):
    """1 where z > 0, 0 where z <= 0, NaN where z is NaN."""
    return np.where(np.isnan(z), np.nan, (z > 0).astype(np.float64))


def _reduce(row_losses, row_grads, sample_weight, reduction, batch_shape, shape):
    """(value, grad) of the row losses and their gradient rows, reduced with row weights s (a leading part of
    the batch shape, such as (N,), weighs every row under it)."""
    if sample_weight is None:
        s = np.ones(row_losses.shape)
    else:
        weights = np.asarray(sample_weight, np.float64)
        s = np.broadcast_to(weights.reshape(weights.shape + (1,) * (len(batch_shape) - weights.ndim)),
                            batch_shape).reshape(-1)
    if reduction == "none":
        value, row_scale = (s * row_losses).reshape(batch_shape), s
    else:
        denominator = s.sum() if reduction == "mean" else 1.0
        value, row_scale = np.sum(s * row_losses) / denominator, s / denominator
    return value, (row_scale[:, None] * row_grads).reshape(shape)


def multi_margin(y_true, y_pred, *, sample_weight=None, reduction="mean", margin=1.0, p=1, class_weight=None,
                 dtype=np.float64):
    """l_n = w_y / C sum_{i != y} max(0, margin - x_y + x_i)^p; torch's multi_margin_loss, with NaN kept."""
    x, y, _, batch_shape = _rows(y_true, y_pred)
    n_rows, n_classes = x.shape
    margin = float(np.dtype(dtype).type(margin))  # the kernel's margin, rounded to the compute dtype
    w = np.ones(n_classes) if class_weight is None else np.asarray(class_weight, np.float64)
    w_y = w[y]
    others = np.arange(n_classes) != y[:, None]
    with np.errstate(invalid="ignore"):  # inf - inf at the label's own column, which is masked out
        z = margin - x[np.arange(n_rows), y][:, None] + x
    hinge = np.where(others, np.maximum(z, 0.0) ** p, 0.0)
    row_losses = w_y * hinge.sum(axis=1) / n_classes
    slope = _step(z) if p == 1 else 2.0 * np.maximum(z, 0.0)
    grads = np.where(others, w_y[:, None] * slope / n_classes, 0.0)
    grads[np.arange(n_rows), y] = -grads.sum(axis=1)
    return _reduce(row_losses, grads, sample_weight, reduction, batch_shape, np.shape(y_pred))


def crammer_singer(y_true, y_pred, *, sample_weight=None, reduction="mean", margin=1.0, dtype=np.float64):
    """l_n = max(0, margin + max_{j != y} x_j - x_y); subgradient +1 at the first arg-max j*, -1 at y."""
    x, y, _, batch_shape = _rows(y_true, y_pred)
    n_rows, n_classes = x.shape
    margin = float(np.dtype(dtype).type(margin))
    rows = np.arange(n_rows)
    others = np.where(np.arange(n_classes) == y[:, None], -np.inf, x)
    rival = np.argmax(others, axis=1)
    z = margin + others[rows, rival] - x[rows, y]
    if n_classes == 1:
        z = np.full(n_rows, -np.inf)
    row_losses = np.maximum(z, 0.0)
    grads = np.zeros_like(x)
    grads[rows, rival] += _step(z)
    grads[rows, y] -= _step(z)
    return _reduce(row_losses, grads, sample_weight, reduction, batch_shape, np.shape(y_pred))


def categorical_hinge(y_true, y_pred, *, sample_weight=None, reduction="mean", dtype=np.float64):
    """Keras: pos = sum(t x), neg = max((1 - t) x), l = max(0, neg - pos + 1); the max's subgradient at its
    first arg-max c*: dl/dx_c = [z > 0] ([c = c*] (1 - t_c) - t_c). Class indices are one-hot targets with
    pos = x_y and (1 - t_y) x_y = 0."""
    x, y, t, batch_shape = _rows(y_true, y_pred)
    n_rows, n_classes = x.shape
    rows = np.arange(n_rows)
    if t is None:  # one-hot rows, without the products 0 * x (NaN for an infinite x)
        t = (np.arange(n_classes) == y[:, None]).astype(np.float64)
        positive = x[rows, y]
        scores = np.where(t == 1, 0.0, x)
    else:
        positive = np.sum(t * x, axis=1)
        scores = (1.0 - t) * x
    rival = np.argmax(scores, axis=1)
    z = scores[rows, rival] - positive + 1.0
    row_losses = np.maximum(z, 0.0)
    chosen = (np.arange(n_classes) == rival[:, None]) * (1.0 - t)
    grads = _step(z)[:, None] * (chosen - t)
    return _reduce(row_losses, grads, sample_weight, reduction, batch_shape, np.shape(y_pred))


REFERENCES = {"multi_margin": multi_margin, "crammer_singer": crammer_singer, "categorical_hinge": categorical_hinge}
