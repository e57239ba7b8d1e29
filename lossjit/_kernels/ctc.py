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

Two ways compute this. The fast one (:func:`_scaled_forward`, :func:`_scaled_backward`) runs the same recursions in
probability space, renormalising alpha_t and beta_t at every step and adding up the logs of the
scales: no exp or log per state. It is exact unless a positive value leaves float64's normal
range, so whenever one would (an emission more than 708 nats below the best class of its step, a
product in the recursions that underflows, a step whose mass is 0, subnormal or not finite: an
infeasible target, -inf or NaN scores), the sample is recomputed by the log-space recursions
above (:func:`_log_space_posteriors`), which are exact there and several times slower. Each way is a
block of its own (:data:`BLOCKS`): the kernel runs the scaled one on every sample, and the log-space one
only on the samples it left NaN, so a program compiles the log-space code when an input first needs it.
The blocks' big helpers, :func:`_log_probabilities`, the scaled recursions and the gradient (:func:`_gradient`), are
compiled on their own and called at their addresses, which the kernel passes on (:func:`helper_addresses`): linked
into a block, LLVM would optimise each again inside it (a cold ``lj.ctc`` ~20% longer). The backward recursion and
the gradient, which only a gradient needs, are compiled on the first call that asks for one.
``tests/test_sequence.py`` checks that both agree, also on scores thousands of nats apart.

An infeasible target (``T_n`` too short for the labels and their repeats) has
probability 0: loss ``inf`` and a NaN gradient, or 0 and a zero gradient with
``zero_infinity``. Time steps from ``T_n`` on get a zero gradient.

``y_pred`` and ``grad`` are flat (T, N, C) C-contiguous arrays; ``labels``
holds every target one after the other, sample n's from ``label_starts[n]``.
Each sample is computed serially in float64 and writes only its own slices,
so results do not depend on the number of threads.

Every work array is made by ``np.empty`` with its dtype (:data:`.typed.FLOAT64`, ``np.int64``), 1-D or 2-D, and
filled by loops: each other way to make one compiles an allocation function of its own.
"""

import functools
import math

import numpy as np
from numba import njit, prange, types

from .._config import CALLEE, INLINE
from .calls import ADDRESS, address_of, call_at
from .typed import FLOAT64, INT64, array, per_dtype
from .vector_math import exp_nonpositive, largest, log_positive

_NEG_INF = -np.inf
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)  # below it a float64 loses digits (subnormal) or is 0
_LOG_SMALLEST_NORMAL = math.log(_SMALLEST_NORMAL)  # -708.4


@njit(**CALLEE)
def _log_add_exp(a, b):
    """log(exp(a) + exp(b)) without overflow; exact when either is -inf. Compiled once and inlined by LLVM: inlined
    by Numba (``INLINE``), its front end would run again at each of its five call sites."""
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    if a >= b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


def _log_probabilities(y_pred, n_samples, n_classes, n, n_steps, from_logits):
    """(lp, top, exps, sums): sample n's lp_t(k) as a float64 (n_steps, C) array, top_t = max_k lp_t(k),
    and for logits exps_t(k) = exp(z_t(k) - max_k z_t(k)) with their row sums (empty arrays for
    log-probabilities).

    From logits: shift each row by its maximum, exp the whole (T, C) block in one long loop (rows of
    a few classes vectorise badly on their own), then subtract each row's log-sum-exp. The exps serve
    twice more: they are exp(lp_t(k) - top_t), the emissions, and exps_t / sums_t is softmax(z_t).
    """
    log_probs = np.empty((n_steps, n_classes), FLOAT64)
    top = np.empty(n_steps, FLOAT64)
    for t in range(n_steps):
        first = (t * n_samples + n) * n_classes
        row = y_pred[first:first + n_classes]
        out = log_probs[t]
        peak = largest(row)
        top[t] = peak
        if from_logits:
            for k in range(n_classes):
                out[k] = row[k] - peak
        else:
            for k in range(n_classes):
                out[k] = row[k]
    if not from_logits:
        return log_probs, top, np.empty((0, 0), FLOAT64), np.empty(0, FLOAT64)
    exps = np.empty((n_steps, n_classes), FLOAT64)
    flat_shifted = log_probs.reshape(-1)
    flat_exps = exps.reshape(-1)
    for i in range(flat_exps.size):
        flat_exps[i] = exp_nonpositive(flat_shifted[i])
    sums = np.empty(n_steps, FLOAT64)
    for t in range(n_steps):
        total = 0.0
        row_exps = exps[t]
        for k in range(n_classes):
            total += row_exps[k]
        sums[t] = total
    for t in range(n_steps):  # a loop of its own: vectorised, where libm's log is a call per row
        top[t] = -log_positive(sums[t])  # the shifted row's maximum is 0, so sums_t >= 1; NaN scores give NaN
    for t in range(n_steps):
        out = log_probs[t]
        log_total = -top[t]
        for k in range(n_classes):
            out[k] -= log_total
    return log_probs, top, exps, sums


@njit(**CALLEE)
def _states(labels, start, length, blank):
    """(l', skip): the extended target and, per state, whether it may be entered from two states back.

    Both carry two padding states at the end (blank, no skip), so the recursions need no bounds tests.
    """
    n_states = 2 * length + 1
    extended = np.empty(n_states + 2, np.int64)
    skip = np.empty(n_states + 2, np.int64)  # 1 or 0
    for s in range(n_states + 2):
        extended[s] = blank
        skip[s] = 0
    for i in range(length):
        s = 2 * i + 1
        extended[s] = labels[start + i]
        skip[s] = s >= 3 and extended[s] != extended[s - 2]  # a label state; labels are never blank
    return extended, skip


@njit(**CALLEE)
def _normalise(values):
    """Divide values by their sum and return the sum; 0 (values untouched) unless the sum is a finite
    normal number (a subnormal sum has lost digits, and its reciprocal may overflow)."""
    total = 0.0
    for s in range(values.size):
        total += values[s]
    if not (_SMALLEST_NORMAL <= total < np.inf):
        return 0.0
    share = 1.0 / total
    for s in range(values.size):
        values[s] *= share
    return total


def _scaled_forward(emissions, top, skip, n_states):
    """(log p(l | x), alpha) by the rescaled forward recursion in probability space (Rabiner's scaling, as in
    Graves et al., 2006): alpha_t renormalised to sum 1 at every step and the logs of the scales accumulated.

    ``emissions[t, s] = exp(lp_t(l'_s) - top_t)`` lie in [0, 1]; a step costs a few multiply-adds per state and one
    log, where the log-space recursion needs an exp and a log1p per state and alternative. ``alpha`` has two zero
    columns before state 0 (s - 1 and s - 2 there). Returns NaN for log p when a step's mass is 0, subnormal or not
    finite (an infeasible target, -inf or NaN scores) or a positive product underflows (it would silently drop
    alignments that may dominate later): the caller then runs the log-space recursion. Emissions must be 0 or
    normal numbers.
    """
    n_steps = emissions.shape[0]
    failed = (np.nan, np.empty((0, 0), FLOAT64))
    alpha = np.empty((n_steps, n_states + 2), FLOAT64)  # columns 0 and 1 hold 0: s - 1 and s - 2 before state 0
    for t in range(n_steps):
        alpha[t, 0] = 0.0
        alpha[t, 1] = 0.0
    current = alpha[0, 2:]
    for s in range(n_states):
        current[s] = 0.0
    current[0] = emissions[0, 0]
    if n_states > 1:
        current[1] = emissions[0, 1]
    scales = np.empty(n_steps, FLOAT64)  # each step's mass before renormalising
    for t in range(n_steps):  # indexed, without row slices per step (~15 ns each: 1.3x at (50, 16, 20))
        if t > 0:
            underflows = 0
            for s in range(n_states):
                mass = alpha[t - 1, s + 2] + alpha[t - 1, s + 1] + (alpha[t - 1, s] if skip[s] else 0.0)
                value = mass * emissions[t, s]
                alpha[t, s + 2] = value
                underflows += (value < _SMALLEST_NORMAL) & (mass > 0.0) & (emissions[t, s] > 0.0)
            if underflows:
                return failed
        scales[t] = _normalise(alpha[t, 2:])
        if scales[t] == 0.0:
            return failed
    log_likelihood = 0.0
    for t in range(n_steps):  # after the recursion: one vectorised loop instead of libm's log per step
        log_likelihood += log_positive(scales[t]) + top[t]
    last = alpha[n_steps - 1, 2:]
    end = last[n_states - 1] + (last[n_states - 2] if n_states > 1 else 0.0)
    if not end > 0.0:
        return failed
    return log_likelihood + math.log(end), alpha


def _scaled_backward(emissions, skip, alpha, n_states):
    """gamma_t(s) = alpha_t(s) beta_t(s) / sum_s alpha_t(s) beta_t(s), with beta_t by the rescaled backward
    recursion (as :func:`_scaled_forward`, whose ``alpha`` it takes): an empty array when a product underflows or a
    step's mass is 0 or subnormal, for the caller to run the log-space recursion. Only a gradient needs it."""
    n_steps = emissions.shape[0]
    failed = np.empty((0, 0), FLOAT64)
    beta = np.empty((n_steps, n_states), FLOAT64)
    for s in range(n_states):
        beta[n_steps - 1, s] = 0.0
    beta[n_steps - 1, n_states - 1] = 1.0
    if n_states > 1:
        beta[n_steps - 1, n_states - 2] = 1.0
    ahead = np.empty(n_states + 2, FLOAT64)  # beta_{t+1}(s) times its emission; two zero states past the end
    ahead[n_states] = 0.0
    ahead[n_states + 1] = 0.0
    for t in range(n_steps - 2, -1, -1):
        following = beta[t + 1]
        emission = emissions[t + 1]
        underflows = 0
        for s in range(n_states):
            ahead[s] = following[s] * emission[s]
            underflows += (ahead[s] < _SMALLEST_NORMAL) & (following[s] > 0.0) & (emission[s] > 0.0)
        if underflows:
            return failed
        current = beta[t]
        for s in range(n_states):
            current[s] = ahead[s] + ahead[s + 1] + (ahead[s + 2] if skip[s + 2] else 0.0)
        if _normalise(current) == 0.0:
            return failed

    posterior = beta  # overwritten row by row with gamma_t(s)
    for t in range(n_steps):
        row = posterior[t]
        occupied = alpha[t, 2:]
        for s in range(n_states):
            row[s] *= occupied[s]
        if _normalise(row) == 0.0:
            return failed
    return posterior


#: The float64 work arrays the helpers return: rows (time steps by classes or states) and a column.
_ROWS, _COLUMN = array(np.float64, 2, writeable=True), array(np.float64, writeable=True)


def _log_probabilities_signature(dtype):
    """(log_probs, top, exps, sums) of (y_pred, n_samples, n_classes, n, n_steps, from_logits)."""
    return types.Tuple((_ROWS, _COLUMN, _ROWS, _COLUMN))(array(dtype), INT64, INT64, INT64, INT64, types.boolean)


#: (log p(l | x), alpha) of (emissions, top, skip, n_states), and the posterior of (emissions, skip, alpha, n_states),
#: in float64 for either dtype.
_SCALED_FORWARD_SIGNATURE = types.Tuple((types.float64, _ROWS))(_ROWS, _COLUMN, array(np.int64, writeable=True), INT64)
_SCALED_BACKWARD_SIGNATURE = _ROWS(_ROWS, array(np.int64, writeable=True), _ROWS, INT64)

#: The blocks' big helpers, each compiled once on its own (cached) and called at its address, which the kernel
#: passes to the block (:mod:`.calls`): linked into a block, LLVM would optimise them again inside it, and in both
#: blocks. A call per sample costs nothing next to the sample's recursions. The backward recursion only runs for a
#: gradient: a program that asks for values only does not compile it.
log_probabilities = per_dtype(_log_probabilities_signature, **CALLEE)(_log_probabilities)
scaled_forward = njit(cache=True, **CALLEE)(_scaled_forward)
scaled_backward = njit(cache=True, **CALLEE)(_scaled_backward)
_call_log_probabilities = log_probabilities.caller(0)  # the dtype of y_pred, its first argument
_call_scaled_forward = call_at(_SCALED_FORWARD_SIGNATURE)
_call_scaled_backward = call_at(_SCALED_BACKWARD_SIGNATURE)


@functools.cache
def helper_addresses(dtype, gradient):
    """The kernel's ``log_probabilities_at``, ``forward_at``, ``backward_at`` and ``gradient_at`` for inputs of
    ``dtype`` (a NumPy dtype); the last two 0 (never called) without a ``gradient``."""
    forward_at = address_of(scaled_forward, _SCALED_FORWARD_SIGNATURE)
    if not gradient:
        return log_probabilities.address(dtype), forward_at, 0, 0
    backward_at = address_of(scaled_backward, _SCALED_BACKWARD_SIGNATURE)
    return log_probabilities.address(dtype), forward_at, backward_at, sample_gradient.address(dtype)


@njit(**CALLEE)
def _alpha(log_probs, extended, skip, n_states):
    n_steps = log_probs.shape[0]
    alpha = np.empty((n_steps, n_states), FLOAT64)
    for t in range(n_steps):
        for s in range(n_states):
            alpha[t, s] = _NEG_INF
    alpha[0, 0] = log_probs[0, extended[0]]
    if n_states > 1:
        alpha[0, 1] = log_probs[0, extended[1]]
    for t in range(1, n_steps):
        for s in range(n_states):
            a = alpha[t - 1, s]
            if s >= 1:
                a = _log_add_exp(a, alpha[t - 1, s - 1])
            if skip[s]:
                a = _log_add_exp(a, alpha[t - 1, s - 2])
            alpha[t, s] = a + log_probs[t, extended[s]]
    return alpha


@njit(**CALLEE)
def _beta(log_probs, extended, skip, n_states):
    n_steps = log_probs.shape[0]
    beta = np.empty((n_steps, n_states), FLOAT64)
    for t in range(n_steps):
        for s in range(n_states):
            beta[t, s] = _NEG_INF
    beta[n_steps - 1, n_states - 1] = 0.0
    if n_states > 1:
        beta[n_steps - 1, n_states - 2] = 0.0
    for t in range(n_steps - 2, -1, -1):
        for s in range(n_states):
            b = beta[t + 1, s] + log_probs[t + 1, extended[s]]
            if s + 1 < n_states:
                b = _log_add_exp(b, beta[t + 1, s + 1] + log_probs[t + 1, extended[s + 1]])
            if skip[s + 2]:  # the padding states past the end never skip
                b = _log_add_exp(b, beta[t + 1, s + 2] + log_probs[t + 1, extended[s + 2]])
            beta[t, s] = b
    return beta


@njit(**CALLEE)
def _log_space_posteriors(log_probs, extended, skip, n_states, want_posterior):
    """(log p(l | x), gamma_t(s) or an empty array) by the log-space recursions over the extended target and its
    skips (:func:`_states`): exact with -inf log-probabilities, infeasible targets and any logit scale, and several
    times slower."""
    n_steps = log_probs.shape[0]
    alpha = _alpha(log_probs, extended, skip, n_states)
    log_likelihood = alpha[n_steps - 1, n_states - 1]
    if n_states > 1:
        log_likelihood = _log_add_exp(log_likelihood, alpha[n_steps - 1, n_states - 2])
    if not want_posterior or log_likelihood == _NEG_INF:
        return log_likelihood, np.empty((0, 0), FLOAT64)
    posterior = _beta(log_probs, extended, skip, n_states)
    for t in range(n_steps):
        for s in range(n_states):
            posterior[t, s] = math.exp(alpha[t, s] + posterior[t, s] - log_likelihood)
    return log_likelihood, posterior


@njit(**INLINE)
def _clear_padding(n_samples, n_classes, n_steps_max, n_steps, n, grad):
    """Zero sample n's gradient at the time steps from its input length on (when grad is non-empty)."""
    if grad.size > 0:
        for t in range(n_steps, n_steps_max):
            for k in range(n_classes):
                grad[(t * n_samples + n) * n_classes + k] = 0.0


def _gradient(posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps, n, from_logits, scale, grad):
    """Sample n's gradient times ``scale`` from its posterior gamma_t(s): softmax(z_t)_k - gamma_t(k) in the logits,
    or -gamma_t(k) in the log-probabilities, gamma_t(k) the sum over the states s of class k."""
    occupation = np.empty(n_classes, FLOAT64)
    for t in range(n_steps):
        for k in range(n_classes):
            occupation[k] = 0.0
        for s in range(n_states):
            occupation[extended[s]] += posterior[t, s]
        first = (t * n_samples + n) * n_classes
        row = grad[first:first + n_classes]
        if from_logits:
            row_exps = exps[t]
            share = 1.0 / sums[t]
            for k in range(n_classes):
                row[k] = scale * (row_exps[k] * share - occupation[k])
        else:
            for k in range(n_classes):
                row[k] = -scale * occupation[k]


def _gradient_signature(dtype):
    """(posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps, n, from_logits, scale, grad)."""
    return types.none(_ROWS, array(np.int64, writeable=True), _ROWS, _COLUMN, INT64, INT64, INT64, INT64, INT64,
                      types.boolean, types.float64, array(dtype, writeable=True))


#: The gradient from the posterior, shared by both blocks, compiled once per dtype on its own and called at its
#: address (``gradient_at``, 0 for a call without the gradient, which then does not compile it).
sample_gradient = per_dtype(_gradient_signature, **CALLEE)(_gradient)
_call_gradient = sample_gradient.caller(-1)  # the dtype of grad, its last argument


@njit(**INLINE)
def _loss_and_gradient(log_likelihood, posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps, n,
                       from_logits, zero_infinity, scale, grad, gradient_at):
    """loss_n = -log p(l | x), and sample n's gradient times ``scale`` from the posterior when grad is non-empty, by
    :func:`_gradient` at ``gradient_at`` (for an infinite loss: NaN, or 0 with ``zero_infinity``)."""
    loss = -log_likelihood
    if loss == np.inf:
        if grad.size > 0:
            fill = 0.0 if zero_infinity else np.nan
            for t in range(n_steps):
                for k in range(n_classes):
                    grad[(t * n_samples + n) * n_classes + k] = fill
        return 0.0 if zero_infinity else loss
    if grad.size > 0:
        _call_gradient(gradient_at, posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps, n,
                       from_logits, scale, grad)
    return loss


def _scaled_sample(y_pred, n_samples, n_classes, n_steps_max, labels, start, length, n_steps, n, blank, from_logits,
                   zero_infinity, scale, grad, log_probabilities_at, forward_at, backward_at, gradient_at):
    """loss_n in float64 by the scaled recursions, writing sample n's gradient times ``scale`` when grad is
    non-empty; NaN, and no gradient yet, where they cannot be used (an emission or a scale out of float64's
    normal range): the kernel then runs :func:`_log_space_sample` on that sample. The log-space code is a block of
    its own, compiled when an input first needs it."""
    _clear_padding(n_samples, n_classes, n_steps_max, n_steps, n, grad)
    if n_steps == 0:  # only the empty target has an (empty) alignment
        return 0.0 if length == 0 or zero_infinity else np.inf
    n_states = 2 * length + 1
    log_probs, top, exps, sums = _call_log_probabilities(log_probabilities_at, y_pred, n_samples, n_classes, n,
                                                         n_steps, from_logits)
    extended, skip = _states(labels, start, length, blank)
    emissions = np.empty((n_steps, n_states), FLOAT64)  # exp(lp_t(l'_s) - top_t)
    underflows = 0  # emissions that exp turns into 0 or a subnormal number (not those of -inf scores)
    if from_logits:  # the softmax numerators are the emissions: gathered, not computed again
        for t in range(n_steps):
            log_prob = log_probs[t]
            row_exps = exps[t]
            row = emissions[t]
            for s in range(n_states):
                emission = row_exps[extended[s]]
                underflows += (emission < _SMALLEST_NORMAL) & (log_prob[extended[s]] > _NEG_INF)
                row[s] = emission
    else:
        for t in range(n_steps):
            log_prob = log_probs[t]
            row = emissions[t]
            for s in range(n_states):
                row[s] = log_prob[extended[s]] - top[t]
        flat_emissions = emissions.reshape(-1)
        for i in range(flat_emissions.size):
            shifted = flat_emissions[i]
            underflows += (shifted < _LOG_SMALLEST_NORMAL) & (shifted > _NEG_INF)
            flat_emissions[i] = exp_nonpositive(shifted)
    if underflows > 0:
        return np.nan
    log_likelihood, alpha = _call_scaled_forward(forward_at, emissions, top, skip, n_states)
    if log_likelihood != log_likelihood:
        return np.nan
    posterior = alpha  # not read without a gradient
    if grad.size > 0:
        posterior = _call_scaled_backward(backward_at, emissions, skip, alpha, n_states)
        if posterior.size == 0:
            return np.nan
    return _loss_and_gradient(log_likelihood, posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps,
                              n, from_logits, zero_infinity, scale, grad, gradient_at)


def _log_space_sample(y_pred, n_samples, n_classes, n_steps_max, labels, start, length, n_steps, n, blank,
                      from_logits, zero_infinity, scale, grad, log_probabilities_at, forward_at, backward_at,
                      gradient_at):
    """loss_n in float64 by the log-space recursions, writing sample n's gradient times ``scale`` when grad is
    non-empty: for the samples whose scaled recursions could not be used (:func:`_scaled_sample`)."""
    _clear_padding(n_samples, n_classes, n_steps_max, n_steps, n, grad)
    if n_steps == 0:
        return 0.0 if length == 0 or zero_infinity else np.inf
    n_states = 2 * length + 1
    log_probs, top, exps, sums = _call_log_probabilities(log_probabilities_at, y_pred, n_samples, n_classes, n,
                                                         n_steps, from_logits)
    extended, skip = _states(labels, start, length, blank)
    log_likelihood, posterior = _log_space_posteriors(log_probs, extended, skip, n_states, grad.size > 0)
    return _loss_and_gradient(log_likelihood, posterior, extended, exps, sums, n_samples, n_classes, n_states, n_steps,
                              n, from_logits, zero_infinity, scale, grad, gradient_at)


#: The blocks: a sample by the scaled recursions (NaN where they cannot be used), and by the log-space ones.
BLOCKS = {"scaled": _scaled_sample, "log space": _log_space_sample}


#: Bound per dtype by ``per_dtype(blocks=...)``: calls the compiled block at an address (:mod:`.calls`).
call_block = None


def _signature(dtype):
    """Scores, labels, lengths, the samples to run and sample scales read-only; float64 sample losses and the
    gradient written."""
    integers = array(np.int64)
    return (array(dtype), INT64, INT64, integers, integers, integers, integers, integers, INT64, types.boolean,
            types.boolean, array(np.float64), types.float64, INT64, array(np.float64, writeable=True),
            array(dtype, writeable=True), ADDRESS, ADDRESS, ADDRESS, ADDRESS)


def _sample_signature(dtype):
    """A block's (y_pred, n_samples, n_classes, n_steps_max, labels, start, length, n_steps, n, blank, from_logits,
    zero_infinity, scale, grad, log_probabilities_at, forward_at, backward_at, gradient_at)."""
    return types.float64(array(dtype), INT64, INT64, INT64, array(np.int64), INT64, INT64, INT64, INT64, INT64,
                         types.boolean, types.boolean, types.float64, array(dtype, writeable=True), ADDRESS, ADDRESS,
                         ADDRESS, ADDRESS)


@per_dtype(_signature, blocks=(_sample_signature, BLOCKS), work="work")
def ctc_loss(block, y_pred, n_samples, n_classes, labels, label_starts, target_lengths, input_lengths, samples, blank,
             from_logits, zero_infinity, sample_scales, scale, work, sample_losses, grad, log_probabilities_at,
             forward_at, backward_at, gradient_at):
    """sum_n c_n loss_n in float64 over every sample, with per-sample factors c_n = sample_scales[n].

    Runs the block at ``block`` (:data:`BLOCKS`) on the samples listed in ``samples``: writes their c_n loss_n to
    sample_losses and, if grad is non-empty, their gradient times scale * c_n; passes the block the helpers'
    addresses (:func:`helper_addresses`). Serial while ``work`` (the scores and the recursions' states) is below
    ``PARALLEL_THRESHOLD``, parallel over the samples from there.
    """
    n_steps_max = y_pred.size // (n_samples * n_classes)
    for i in prange(samples.size):
        n = samples[i]
        sample_losses[n] = sample_scales[n] * call_block(
            block, y_pred, n_samples, n_classes, n_steps_max, labels, label_starts[n], target_lengths[n],
            input_lengths[n], n, blank, from_logits, zero_infinity, scale * sample_scales[n], grad,
            log_probabilities_at, forward_at, backward_at, gradient_at)
    total = 0.0
    for n in range(n_samples):
        total += sample_losses[n]
    return total
