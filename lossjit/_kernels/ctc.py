"""Kernel of the connectionist temporal classification (CTC) loss (Graves et al., 2006).

Sample n has ``T_n`` time steps of log-probabilities ``lp_t(k)`` over ``C``
classes (the log-softmax of logits, or given) and a target ``l`` of ``L_n``
labels. Its extended target ``l'`` puts a blank before, between and after the
labels (``S = 2 L_n + 1`` states). In log space, with ``+`` meaning
log-add-exp where it combines alternatives::

    alpha_0(0) = lp_0(blank),  alpha_0(1) = lp_0(l'_1)
    alpha_t(s) = [alpha_{t-1}(s) + alpha_{t-1}(s-1) (+ alpha_{t-1}(s-2) if l'_s != blank, l'_s != l'_{s-2})]
                 + lp_t(l'_s)
    log p(l | x) = alpha_{T-1}(S-1) + alpha_{T-1}(S-2)

and ``beta_t(s)``, the log-probability of finishing from state s at time t
(without t's emission), runs the same recursion backwards. The posterior
occupation of class k at time t is
``gamma_t(k) = sum_{s: l'_s = k} exp(alpha_t(s) + beta_t(s) - log p)``, and

    loss_n = -log p(l | x)
    d loss_n / d lp_t(k) = -gamma_t(k)                    (log-probabilities)
    d loss_n / d z_t(k) = softmax(z_t)_k - gamma_t(k)     (logits)

An infeasible target (``T_n`` too short for the labels and their repeats) has
probability 0: loss ``inf`` and a NaN gradient, or 0 and a zero gradient with
``zero_infinity``. Time steps from ``T_n`` on get a zero gradient.

``y_pred`` and ``grad`` are flat (T, N, C) C-contiguous arrays; ``labels``
holds every target one after the other, sample n's from ``label_starts[n]``.
Each sample is computed serially in float64 and writes only its own slices,
so results do not depend on the number of threads.
"""

import math

import numpy as np
from numba import njit, prange

from .._config import ERROR_MODEL, FASTMATH

_NEG_INF = -np.inf


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _log_add_exp(a, b):
    """log(exp(a) + exp(b)) without overflow; exact when either is -inf."""
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    if a >= b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


@njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
def _state_label(labels, start, blank, s):
    """l'_s: blank on even states, label s // 2 on odd ones."""
    return blank if s % 2 == 0 else labels[start + s // 2]


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _log_probabilities(y_pred, n_samples, n_classes, n, n_steps, from_logits):
    """lp_t(k) of sample n as a float64 (n_steps, C) array."""
    log_probs = np.empty((n_steps, n_classes))
    for t in range(n_steps):
        row = (t * n_samples + n) * n_classes
        shift = 0.0
        if from_logits:
            peak = y_pred[row]
            for k in range(1, n_classes):
                peak = max(peak, y_pred[row + k])
            total = 0.0
            for k in range(n_classes):
                total += math.exp(y_pred[row + k] - peak)
            shift = peak + math.log(total)
        for k in range(n_classes):
            log_probs[t, k] = y_pred[row + k] - shift
    return log_probs


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _alpha(log_probs, labels, start, n_states, blank):
    n_steps = log_probs.shape[0]
    alpha = np.full((n_steps, n_states), _NEG_INF)
    alpha[0, 0] = log_probs[0, blank]
    if n_states > 1:
        alpha[0, 1] = log_probs[0, labels[start]]
    for t in range(1, n_steps):
        for s in range(n_states):
            label = _state_label(labels, start, blank, s)
            a = alpha[t - 1, s]
            if s >= 1:
                a = _log_add_exp(a, alpha[t - 1, s - 1])
            if s >= 2 and label != blank and label != _state_label(labels, start, blank, s - 2):
                a = _log_add_exp(a, alpha[t - 1, s - 2])
            alpha[t, s] = a + log_probs[t, label]
    return alpha


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _beta(log_probs, labels, start, n_states, blank):
    n_steps = log_probs.shape[0]
    beta = np.full((n_steps, n_states), _NEG_INF)
    beta[n_steps - 1, n_states - 1] = 0.0
    if n_states > 1:
        beta[n_steps - 1, n_states - 2] = 0.0
    for t in range(n_steps - 2, -1, -1):
        for s in range(n_states):
            label = _state_label(labels, start, blank, s)
            b = beta[t + 1, s] + log_probs[t + 1, label]
            if s + 1 < n_states:
                b = _log_add_exp(b, beta[t + 1, s + 1] + log_probs[t + 1, _state_label(labels, start, blank, s + 1)])
            if s + 2 < n_states:
                skip_label = _state_label(labels, start, blank, s + 2)
                if skip_label != blank and skip_label != label:
                    b = _log_add_exp(b, beta[t + 1, s + 2] + log_probs[t + 1, skip_label])
            beta[t, s] = b
    return beta


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _sample(y_pred, n_samples, n_classes, n_steps_max, labels, start, length, n_steps, n, blank, from_logits,
            zero_infinity, scale, grad):
    """loss_n in float64; writes sample n's gradient times ``scale`` when grad is non-empty."""
    if grad.size > 0:
        for t in range(n_steps, n_steps_max):
            for k in range(n_classes):
                grad[(t * n_samples + n) * n_classes + k] = 0.0
    if n_steps == 0:  # only the empty target has an (empty) alignment
        return 0.0 if length == 0 or zero_infinity else np.inf
    n_states = 2 * length + 1
    log_probs = _log_probabilities(y_pred, n_samples, n_classes, n, n_steps, from_logits)
    alpha = _alpha(log_probs, labels, start, n_states, blank)
    log_likelihood = alpha[n_steps - 1, n_states - 1]
    if n_states > 1:
        log_likelihood = _log_add_exp(log_likelihood, alpha[n_steps - 1, n_states - 2])
    loss = -log_likelihood
    if loss == np.inf:
        if grad.size > 0:
            fill = 0.0 if zero_infinity else np.nan
            for t in range(n_steps):
                for k in range(n_classes):
                    grad[(t * n_samples + n) * n_classes + k] = fill
        return 0.0 if zero_infinity else loss
    if grad.size == 0:
        return loss
    beta = _beta(log_probs, labels, start, n_states, blank)
    occupation = np.empty(n_classes)
    for t in range(n_steps):
        occupation[:] = 0.0
        for s in range(n_states):
            occupation[_state_label(labels, start, blank, s)] += math.exp(alpha[t, s] + beta[t, s] - log_likelihood)
        row = (t * n_samples + n) * n_classes
        for k in range(n_classes):
            if from_logits:
                grad[row + k] = scale * (math.exp(log_probs[t, k]) - occupation[k])
            else:
                grad[row + k] = -scale * occupation[k]
    return loss


@njit(cache=True, parallel=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def ctc_loss(y_pred, n_samples, n_classes, labels, label_starts, target_lengths, input_lengths, blank, from_logits,
             zero_infinity, sample_scales, scale, parallel, sample_losses, grad):
    """sum_n c_n loss_n in float64 with per-sample factors c_n = sample_scales[n].

    Writes c_n loss_n to sample_losses and, if grad is non-empty, the gradient times scale * c_n.
    """
    n_steps_max = y_pred.size // (n_samples * n_classes)
    if parallel:
        for n in prange(n_samples):
            sample_losses[n] = sample_scales[n] * _sample(
                y_pred, n_samples, n_classes, n_steps_max, labels, label_starts[n], target_lengths[n],
                input_lengths[n], n, blank, from_logits, zero_infinity, scale * sample_scales[n], grad)
    else:
        for n in range(n_samples):
            sample_losses[n] = sample_scales[n] * _sample(
                y_pred, n_samples, n_classes, n_steps_max, labels, label_starts[n], target_lengths[n],
                input_lengths[n], n, blank, from_logits, zero_infinity, scale * sample_scales[n], grad)
    total = 0.0
    for n in range(n_samples):
        total += sample_losses[n]
    return total
