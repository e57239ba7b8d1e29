"""Float64 NumPy references of the embedding losses: per-row losses and each row's gradients.

Each ``*_reference`` returns ``(losses, grads)``: the (N,) unweighted losses of (N, D) inputs and a tuple of
(N, D) arrays, the gradient of each row's loss with respect to each differentiable input (torch's autograd
conventions at the kinks: a hinge at exactly 0 passes the gradient, a zero norm has the gradient 0, an
infinity norm shares it among its maximal entries, a tie of the swap's minimum gives each side half).
:func:`reduce` then applies the weights and the reduction.
"""

import numpy as np

#: torch's EPSILON of cosine_embedding_loss: the float 1e-12, as a double.
COSINE_EPSILON = float(np.float32(1e-12))


def norm_and_gradient(d, p):
    """Row norms ||d||_p of (N, D) ``d`` and their gradients with respect to d."""
    magnitude = np.abs(d)
    if p == 2:
        norm = np.sqrt(np.sum(d * d, axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            gradient = np.where(norm[:, None] == 0, 0.0, d / norm[:, None])
    elif p == 1:
        norm = magnitude.sum(axis=1)
        gradient = np.sign(d)
    elif p == np.inf:
        norm = magnitude.max(axis=1)
        reaches = magnitude == norm[:, None]
        gradient = np.sign(d) * reaches / reaches.sum(axis=1, keepdims=True)
    else:
        norm = np.sum(magnitude**p, axis=1) ** (1 / p)
        with np.errstate(invalid="ignore", divide="ignore"):
            gradient = np.where(norm[:, None] == 0, 0.0, np.sign(d) * magnitude ** (p - 1) / norm[:, None] ** (p - 1))
    return norm, gradient


def triplet_reference(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False):
    a, pos, neg = (np.atleast_2d(np.asarray(x, np.float64)) for x in (anchor, positive, negative))
    d_ap, g_ap = norm_and_gradient(a - pos + eps, p)
    d_an, g_an = norm_and_gradient(a - neg + eps, p)
    share_an, share_pn = np.ones(len(a)), np.zeros(len(a))
    d_negative = d_an
    if swap:
        d_pn, g_pn = norm_and_gradient(pos - neg + eps, p)
        share_an = np.where(d_pn < d_an, 0.0, np.where(d_pn == d_an, 0.5, 1.0))
        share_pn = 1 - share_an
        d_negative = np.minimum(d_an, d_pn)
    else:
        g_pn = np.zeros_like(a)
    z = margin + d_ap - d_negative
    active = (z >= 0)[:, None]
    share_an, share_pn = share_an[:, None], share_pn[:, None]
    grad_anchor = active * (g_ap - share_an * g_an)
    grad_positive = active * (-g_ap - share_pn * g_pn)
    grad_negative = active * (share_an * g_an + share_pn * g_pn)
    return np.maximum(z, 0.0), (grad_anchor, grad_positive, grad_negative)


def cosine_reference(y_true, x1, x2, margin=0.0):
    y = np.atleast_1d(np.asarray(y_true))
    x1, x2 = (np.atleast_2d(np.asarray(x, np.float64)) for x in (x1, x2))
    square1 = np.sum(x1 * x1, axis=1) + COSINE_EPSILON
    square2 = np.sum(x2 * x2, axis=1) + COSINE_EPSILON
    denominator = np.sqrt(square1 * square2)
    cos = np.sum(x1 * x2, axis=1) / denominator
    dcos_dx1 = x2 / denominator[:, None] - (cos / square1)[:, None] * x1
    dcos_dx2 = x1 / denominator[:, None] - (cos / square2)[:, None] * x2
    similar = y == 1
    losses = np.where(similar, 1 - cos, np.maximum(cos - margin, 0.0))
    slope = np.where(similar, -1.0, (cos - margin >= 0).astype(float))[:, None]
    return losses, (slope * dcos_dx1, slope * dcos_dx2)


def contrastive_reference(y_true, x1, x2, margin=1.0):
    y = np.atleast_1d(np.asarray(y_true, np.float64))
    x1, x2 = (np.atleast_2d(np.asarray(x, np.float64)) for x in (x1, x2))
    difference = x1 - x2
    d = np.sqrt(np.sum(difference**2, axis=1))
    hinge = np.maximum(margin - d, 0.0)
    losses = 0.5 * (y * d**2 + (1 - y) * hinge**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pull = np.where(d == 0, 0.0, hinge / d)  # the dissimilar pair's subgradient 0 at d = 0
    slope = (y - (1 - y) * pull)[:, None]
    return losses, (slope * difference, -slope * difference)


def reduce(losses, grads, reduction, sample_weight=None):
    """The reduced loss and gradients of per-row losses and row gradients."""
    weights = np.ones(len(losses)) if sample_weight is None else np.asarray(sample_weight, np.float64).reshape(-1)
    weighted = weights * losses
    grads = tuple(weights[:, None] * g for g in grads)
    if reduction == "none":
        return weighted, grads
    if reduction == "sum":
        return weighted.sum(), grads
    return weighted.sum() / weights.sum(), tuple(g / weights.sum() for g in grads)
