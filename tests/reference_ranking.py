"""Plain float64 NumPy references of the ranking losses, transcribed from optax and Rax (JAX is not installed).

* :func:`ranking_softmax_lists`: optax's ``ranking_softmax_loss`` per list: masked labels set to 0 and masked
  logits to -inf, ``-sum(labels * log_softmax(logits), where=where)``; labels not normalised.
* :func:`pairwise_logistic_lists`: Rax's ``pairwise_logistic_loss`` of each list alone with its default
  ``reduce_fn=jnp.mean``: the mean over the valid pairs ``y_i > y_j`` of ``relu(-d) + log1p(exp(-|d|))``,
  ``d = s_i - s_j``; 0 for a list without pairs (Rax's ``safe_reduce``).

Each returns the list losses ``(Q,)``, their gradients ``(Q, L)`` (closed forms, written independently of the
kernels: optax's through the softmax, the pairwise one by pair matrices) and which lists count for the mean.
:func:`reduce` applies ``sample_weight`` and a reduction as lossjit's ranking losses define them.
"""

import numpy as np


def _inputs(y_true, y_pred, where):
    y = np.asarray(y_true, np.float64)
    s = np.asarray(y_pred, np.float64)
    mask = np.ones(s.shape, bool) if where is None else np.asarray(where, bool)
    return y, s, mask


def _log_softmax(scores):
    peak = np.max(scores)
    shifted = scores - peak
    return shifted - np.log(np.sum(np.exp(shifted)))


def ranking_softmax_lists(y_true, y_pred, where=None):
    """(losses (Q,), gradients (Q, L), counted (Q,)): optax's loss per list, counted = any valid item."""
    y, s, mask = _inputs(y_true, y_pred, where)
    losses = np.zeros(s.shape[0])
    grads = np.zeros(s.shape)
    for q in range(s.shape[0]):
        valid = mask[q]
        if not valid.any():
            continue
        labels, log_p = y[q, valid], _log_softmax(s[q, valid])
        losses[q] = -np.sum(labels * log_p)
        grads[q, valid] = labels.sum() * np.exp(log_p) - labels
    return losses, grads, mask.any(axis=1)


def softplus(x):
    """log(1 + exp(x)) without overflow."""
    return np.logaddexp(0.0, x)


def pairwise_logistic_lists(y_true, y_pred, where=None):
    """(losses (Q,), gradients (Q, L), counted (Q,)): Rax's mean over each list's pairs, counted = has a pair."""
    y, s, mask = _inputs(y_true, y_pred, where)
    losses = np.zeros(s.shape[0])
    grads = np.zeros(s.shape)
    counted = np.zeros(s.shape[0], bool)
    for q in range(s.shape[0]):
        labels, scores = y[q, mask[q]], s[q, mask[q]]
        pairs = labels[:, None] > labels[None, :]  # pairs[i, j]: item i should rank above item j
        n_pairs = np.count_nonzero(pairs)
        if n_pairs == 0:
            continue
        counted[q] = True
        d = scores[:, None] - scores[None, :]
        losses[q] = np.sum(softplus(-d)[pairs]) / n_pairs
        slope = np.where(pairs, np.exp(-softplus(d)), 0.0) / n_pairs  # sigma(-d) = d pair / d s_j = -d pair / d s_i
        grads[q, mask[q]] = slope.sum(axis=0) - slope.sum(axis=1)
    return losses, grads, counted


LISTS = {"ranking_softmax": ranking_softmax_lists, "pairwise_logistic": pairwise_logistic_lists}


def reduce(losses, grads, counted, reduction, sample_weight=None):
    """(loss, gradient) of lossjit's reductions: "none" w_q l_q, "sum" sum_q w_q l_q, "mean" that over the
    weight total of the counted lists (1 when that total is 0, as every term is then 0)."""
    weights = np.broadcast_to(np.ones(1) if sample_weight is None else np.asarray(sample_weight, np.float64),
                              losses.shape)
    if reduction == "none":
        return weights * losses, weights[:, None] * grads
    total = np.sum(weights * losses)
    if reduction == "sum":
        return total, weights[:, None] * grads
    denominator = np.sum(weights[counted]) or 1.0
    return total / denominator, weights[:, None] * grads / denominator


def reference(name):
    """``reference(y_true, y_pred, *, dtype, sample_weight, reduction, where)`` -> (loss, gradient), the form
    ``checks.check_against`` takes."""
    def loss(y_true, y_pred, *, dtype=None, sample_weight=None, reduction="mean", where=None):
        return reduce(*LISTS[name](y_true, y_pred, where), reduction, sample_weight)
    return loss
