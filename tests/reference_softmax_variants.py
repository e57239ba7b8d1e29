"""Float64 NumPy references of the poly-1 cross-entropy and the sparsemax loss, from their formulas.

Each returns ``(loss, grad)`` reduced as lossjit reduces: ``"sum"`` is sum_n s_n l_n, ``"mean"`` that over
sum_n s_n, ``"none"`` the array s_n l_n, with row weights s (ones without ``sample_weight``).
"""

import numpy as np

import reference


def rows(y_true, y_pred, axis):
    """(logit rows, target rows, loss shape, the moved y_pred shape): class indices become one-hot rows."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    axis = axis % y_pred.ndim
    moved = np.moveaxis(y_pred, axis, -1)
    n_classes = moved.shape[-1]
    z = moved.reshape(-1, n_classes)
    if y_true.shape == y_pred.shape:
        t = np.moveaxis(y_true.astype(np.float64), axis, -1).reshape(-1, n_classes)
    else:
        t = (y_true.astype(np.int64).reshape(-1)[:, None] == np.arange(n_classes)).astype(np.float64)
    return z, t, moved.shape[:-1], moved.shape


def reduce(row_loss, row_grad, sample_weight, reduction, loss_shape, moved_shape, axis):
    s = reference.full_weights(sample_weight, loss_shape).reshape(-1)
    if reduction == "none":
        value, row_scale = (s * row_loss).reshape(loss_shape), s
    else:
        denominator = s.sum() if reduction == "mean" else 1.0
        value, row_scale = np.sum(s * row_loss) / denominator, s / denominator
    grad = (row_scale[:, None] * row_grad).reshape(moved_shape)
    return value, np.moveaxis(grad, -1, axis % len(moved_shape))


def log_softmax(z):
    """log softmax of rows, with log1p of the other classes' exps so that log q ~ -(1 - q) keeps its digits."""
    peak = np.argmax(z, axis=1)[:, None]
    shifted = z - np.take_along_axis(z, peak, axis=1)
    exps = np.exp(shifted)
    others = np.sum(np.where(np.arange(z.shape[1]) == peak, 0.0, exps), axis=1, keepdims=True)
    return shifted - np.log1p(others)


def poly1(y_true, y_pred, *, sample_weight=None, reduction="mean", epsilon=2.0, axis=-1, dtype=np.float64):
    """l = -sum_c t_c log q_c + eps sum_c t_c (1 - q_c), q = softmax(z) (optax's poly_loss_cross_entropy);
    dl/dz = (sum_c t_c) q - t + eps q (p_t - t), p_t = sum_c t_c q_c."""
    epsilon = float(np.dtype(dtype).type(epsilon))  # the kernel's epsilon
    z, t, loss_shape, moved_shape = rows(y_true, y_pred, axis)
    with np.errstate(invalid="ignore"):
        log_q = log_softmax(z)
        q = np.exp(log_q)
        cross_entropy = -np.sum(np.where(t == 0, 0.0, t * log_q), axis=1)  # 0 log 0 = 0
        row_loss = cross_entropy + epsilon * np.sum(t * -np.expm1(log_q), axis=1)
        p_t = np.sum(t * q, axis=1, keepdims=True)
        grad = t.sum(axis=1, keepdims=True) * q - t + epsilon * q * (p_t - t)
    return reduce(row_loss, grad, sample_weight, reduction, loss_shape, moved_shape, axis)


def sparsemax(z):
    """Rows projected onto the simplex by sorting (optax's projection_simplex): (p, tau)."""
    u = -np.sort(-z, axis=1)
    cumulative = np.cumsum(u, axis=1)
    k = np.arange(1, z.shape[1] + 1)
    support = np.count_nonzero(1 + k * u > cumulative, axis=1)
    tau = (cumulative[np.arange(len(z)), support - 1] - 1) / support
    return np.maximum(z - tau[:, None], 0.0), tau


def sparsemax_loss(y_true, y_pred, *, sample_weight=None, reduction="mean", axis=-1, dtype=np.float64):
    """Martins & Astudillo's l = -t.z + 1/2 sum_{c in S} (z_c^2 - tau^2) + 1/2 |t|^2, on logits shifted by the
    row maximum m (which adds m (1 - sum_c t_c)); dl/dz = sparsemax(z) - t."""
    z, t, loss_shape, moved_shape = rows(y_true, y_pred, axis)
    peak = z.max(axis=1, keepdims=True)
    shifted = z - peak
    p, tau = sparsemax(shifted)
    support = p > 0
    with np.errstate(invalid="ignore"):
        dot = np.sum(np.where(t == 0, 0.0, t * shifted), axis=1)  # 0 * -inf = 0
    row_loss = (-dot + 0.5 * np.sum(np.where(support, shifted**2 - tau[:, None] ** 2, 0.0), axis=1)
                + 0.5 * np.sum(t**2, axis=1) + peak[:, 0] * (1 - t.sum(axis=1)))
    return reduce(row_loss, p - t, sample_weight, reduction, loss_shape, moved_shape, axis)


def optax_multiclass_sparsemax(labels, scores):
    """optax's _multiclass_sparsemax_loss per row: sum_c p_c (z_c - z_y) over the support + (1 - |p|^2) / 2."""
    scores = np.asarray(scores, dtype=np.float64)
    p, _ = sparsemax(scores)
    relative = scores - scores[np.arange(len(scores)), labels][:, None]
    return np.sum(np.where(p > 0, p * relative, 0.0), axis=1) + 0.5 * (1 - np.sum(p * p, axis=1))


def optax_binary_sparsemax(labels, logits):
    """The reference_impl of optax's SparsemaxTest: sparse_plus(-(2 y - 1) x)."""
    x = -(2 * np.asarray(labels) - 1) * np.asarray(logits, dtype=np.float64)
    return np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))
