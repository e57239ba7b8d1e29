"""Plain float64 NumPy references of the contrastive losses (lossjit/info_nce.py), written from the formulas.

Each returns ``(per-sample losses (N,), gradient of sum_i w_i l_i in x1, in x2)``. :func:`ntxent` follows
optax's ``optax.losses.ntxent`` step by step (optax/losses/_self_supervised.py): cosine similarity with the
squared norms clipped at the dtype's epsilon, self-similarities set to -inf, the row maximum over the
matches and non-matches, ``matches - log(sum exp(diffs) + exp(matches))``, the mean over the matches.
"""

import numpy as np


def normalize(x, epsilon):
    """(u, backward): u = x / sqrt(max(|x|^2, epsilon)) per row, backward(g) the gradient in x for g in u."""
    x = np.asarray(x, dtype=np.float64)
    squares = (x * x).sum(1, keepdims=True)
    clipped = squares < epsilon
    norms = np.sqrt(np.where(clipped, epsilon, squares))
    u = x / norms

    def backward(g):
        radial = np.where(clipped, 0.0, (u * g).sum(1, keepdims=True))
        return (g - u * radial) / norms

    return u, backward


def log_softmax(z):
    peak = np.max(z, axis=1, keepdims=True)
    return z - peak - np.log(np.exp(z - peak).sum(1, keepdims=True))


def softmax(z):
    return np.exp(log_softmax(z))


def info_nce(x1, x2, temperature=0.07, symmetric=False, normalize_rows=True, sample_weight=None, epsilon=None):
    """Per-pair losses and gradients of InfoNCE (CLIP's mean of the row and column terms when symmetric)."""
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    n = x1.shape[0]
    epsilon = np.finfo(np.float64).eps if epsilon is None else epsilon
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if normalize_rows:
        u, back1 = normalize(x1, epsilon)
        v, back2 = normalize(x2, epsilon)
    else:
        u, v, back1, back2 = x1, x2, (lambda g: g), (lambda g: g)
    z = u @ v.T / temperature
    eye = np.eye(n)
    row = -np.diag(log_softmax(z))
    d_logits = weights[:, None] * (softmax(z) - eye)  # d sum_i w_i row_i / dz
    losses = row
    if symmetric:
        column = -np.diag(log_softmax(z.T))
        losses = (row + column) / 2
        d_logits = (d_logits + (weights[:, None] * (softmax(z.T) - eye)).T) / 2
    d_scores = d_logits / temperature
    return weights * losses, back1(d_scores @ v), back2(d_scores.T @ u)


def ntxent_optax(embeddings, labels, temperature=0.07, epsilon=None):
    """optax.losses.ntxent's value, transcribed to float64 NumPy (any labels, as optax takes them)."""
    e = np.asarray(embeddings, dtype=np.float64)
    epsilon = np.finfo(np.float64).eps if epsilon is None else epsilon
    norms = np.sqrt(np.clip((e * e).sum(-1, keepdims=True), epsilon, None))
    unit = e / norms
    xcs = (unit[None, :, :] * unit[:, None, :]).sum(-1) / temperature
    labels = np.asarray(labels)
    matches = labels[:, None] == labels[None, :]
    diffs = ~matches
    matches = matches & ~np.eye(len(labels), dtype=bool)
    xcs_diffs = np.where(diffs, xcs, -np.inf)
    xcs_matches = np.where(matches, xcs, -np.inf)
    xcs_max = np.max(np.concatenate((xcs_diffs, xcs_matches), axis=-1), axis=1, keepdims=True)
    shift_diffs = xcs_diffs - xcs_max
    shift_matches = xcs_matches - xcs_max
    denominator = np.exp(shift_diffs).sum(1, keepdims=True) + np.exp(shift_matches)
    with np.errstate(invalid="ignore"):
        log_softmax_matches = shift_matches - np.log(denominator)
    return -np.where(matches, log_softmax_matches, 0.0).sum() / matches.sum()


def ntxent(x1, x2, temperature=0.07, sample_weight=None, epsilon=None):
    """Per-pair losses (the mean of the pair's two rows) and gradients of NT-Xent over concat(x1, x2)."""
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    n = x1.shape[0]
    epsilon = np.finfo(np.float64).eps if epsilon is None else epsilon
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    e, back = normalize(np.concatenate([x1, x2]), epsilon)
    z = e @ e.T / temperature
    np.fill_diagonal(z, -np.inf)
    positive = (np.arange(2 * n) + n) % (2 * n)
    rows = -log_softmax(z)[np.arange(2 * n), positive]
    row_weights = np.tile(weights, 2) / 2  # pair i's loss is the mean of rows i and i + N
    target = np.zeros((2 * n, 2 * n))
    target[np.arange(2 * n), positive] = 1.0
    d_logits = row_weights[:, None] * (softmax(z) - target)
    d_scores = d_logits / temperature
    grad = back((d_scores + d_scores.T) @ e)
    return weights * (rows[:n] + rows[n:]) / 2, grad[:n], grad[n:]
