"""Kernel of the softmax cross-entropy over rows of ``C`` classes.

For row n with log-probabilities ``log q_c`` (log-softmax of logits, or the
log of clipped probabilities) and target coefficients ``a_c``::

    l_n = -sum_c a_c log q_c
    a_c = (1 - eps) w_{y_n} [c = y_n] + eps / C * w_c     (class index y_n)
    a_c = w_c ((1 - eps) t_nc + eps / C)                  (class probabilities t_n)

with class weights ``w`` (ones when absent) and label smoothing ``eps``.
The gradient with respect to logits is ``sum(a) softmax_c - a_c``; with
respect to probabilities ``-a_c / q_c`` (zero where ``q`` was clipped).
Rows whose index equals ``ignore_index`` contribute nothing.

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold
``n_rows * n_classes`` elements, ``labels`` ``n_rows`` (or none, when
``target`` is given). Empty ``row_weights``/``class_weights`` mean ones,
empty ``row_losses``/``grad`` mean "do not write". A block per kind of input
(:data:`BLOCKS`) computes its rows; the shared row driver (:mod:`.rows`) runs it,
serially or in parallel.
"""

import numpy as np
from numba import njit

from .._config import CALLEE, INLINE
from .rows import RowKernel
from .typed import FLOAT64, bind
from .vector_math import clip_probability, exp_nonpositive, exp_summand, largest, log_positive

_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
#: Classes from which a gradient row's own exp loop beats the block-wide one (measured at 100: 0.85x).
_LONG_ROW = 512


@njit(**CALLEE)
def _long_row_exps(logits, n_classes, work, peaks, sums):
    """Rows of at least ``_LONG_ROW`` classes, each vectorised on its own: the row maximum, then
    ``exp(z - max)`` into the row of ``work`` (the block's gradient) and its sum."""
    for r in range(peaks.size):
        row = logits[r * n_classes:(r + 1) * n_classes]
        peak = largest(row)
        peaks[r] = peak
        exps = work[r * n_classes:(r + 1) * n_classes]
        for c in range(n_classes):
            exps[c] = exp_nonpositive(row[c] - peak)
        total_exp = 0.0
        for c in range(n_classes):
            total_exp += exps[c]
        sums[r] = total_exp


#: Bound per copy of :func:`_short_rows`: the exp it applies.
exp = None


def _short_rows(logits, n_classes, work, peaks, sums):
    """Rows too short for a vector loop of their own: each shifted by its maximum into ``work``,
    then one long ``exp`` loop over the whole block (vectorised even at 10 classes), then the sums."""
    for r in range(peaks.size):
        row = logits[r * n_classes:(r + 1) * n_classes]
        shifted = work[r * n_classes:(r + 1) * n_classes]
        peak = largest(row)
        peaks[r] = peak
        for c in range(n_classes):
            shifted[c] = row[c] - peak
    for i in range(work.size):
        work[i] = exp(work[i])
    for r in range(peaks.size):
        exps = work[r * n_classes:(r + 1) * n_classes]
        total_exp = 0.0
        for c in range(n_classes):
            total_exp += exps[c]
        sums[r] = total_exp


#: :func:`_short_rows` with the exps kept (for a gradient), and only summed (the value alone: ``exp_summand`` ran
#: 1.05-1.1x as fast); two functions, so that a cold call compiles the one exp it uses.
_short_row_exps = njit(**CALLEE)(bind(_short_rows, "_short_row_exps", exp=exp_nonpositive))
_short_row_exp_sums = njit(**CALLEE)(bind(_short_rows, "_short_row_exp_sums", exp=exp_summand))


@njit(**CALLEE)
def _shifted_exps(y_pred, n_classes, grad, start, stop):
    """For logit rows [start, stop) and a gradient: (their logits, ``exp(z - max)`` per element in the rows' part
    of ``grad``, the row maxima, the row sums of the exps (float64) and their logs).

    By :func:`_long_row_exps` for long rows (one pass less over ``grad``: 1.2-1.4x at 1,000-32,000 classes) and
    :func:`_short_row_exps` otherwise (two functions: with both loops in one, rows of 10 classes ran at 0.8-0.9x).
    """
    n_rows = stop - start
    logits = y_pred[start * n_classes:stop * n_classes]
    work = grad[start * n_classes:stop * n_classes]
    peaks = np.empty(n_rows, y_pred.dtype)
    sums = np.empty(n_rows, FLOAT64)
    if n_classes >= _LONG_ROW:
        _long_row_exps(logits, n_classes, work, peaks, sums)
    else:
        _short_row_exps(logits, n_classes, work, peaks, sums)
    return logits, work, peaks, sums, _logs(sums)


@njit(**INLINE)
def _summed_exps(y_pred, n_classes, start, stop):
    """:func:`_shifted_exps` for the value alone: (logits, row maxima, logs of the row sums), the exps in a
    block buffer, only summed. The logs as in :func:`_logs`, in place and written out (one inlined function less
    to copy into each value block)."""
    logits = y_pred[start * n_classes:stop * n_classes]
    peaks = np.empty(stop - start, y_pred.dtype)
    log_sums = np.empty(stop - start, FLOAT64)
    _short_row_exp_sums(logits, n_classes, np.empty(logits.size, y_pred.dtype), peaks, log_sums)
    for r in range(log_sums.size):
        log_sums[r] = log_positive(log_sums[r])
    return logits, peaks, log_sums


@njit(**INLINE)
def _logs(sums):
    """The logs of the row sums of the exps (in [1, C]: NaN logits give NaN), in one vectorised loop instead of
    libm's ``log`` per row."""
    logs = np.empty(sums.size, FLOAT64)
    for r in range(sums.size):
        logs[r] = log_positive(sums[r])
    return logs


@njit(**INLINE)
def _term(a, gap):
    """a * gap for a coefficient a and a gap max(z) - z_c >= 0; 0 where a is 0 and the gap infinite
    (a -inf logit without coefficient takes no part: 0 * inf is NaN). NaN stays NaN."""
    return a * gap if a != 0 or gap != np.inf else 0.0


@njit(**CALLEE)
def _smoothing_gap(row, peak, class_weights):
    """sum_c w_c (peak - z_c) over a row (w_c = 1 without class weights), in float64."""
    total = 0.0
    if class_weights.size == 0:
        for c in range(row.size):
            total += peak - row[c]
    else:
        for c in range(row.size):
            total += _term(class_weights[c], peak - row[c])
    return total


@njit(**INLINE)
def _options(y_pred, params, scale):
    """(eps, label smoothing, ignore_index, scale) from the row driver's params = (eps, smoothing, ignore_index)
    and scale, the numbers in the element dtype."""
    cast = y_pred.dtype.type
    return cast(params[0]), cast(params[1]), params[2], cast(scale)


@njit(**INLINE)
def _label_coefficients(y_pred, class_weights, smoothing, n_classes):
    """(weighted, 1 - eps, eps / C, sum_c w_c) of the general labelled-logits blocks."""
    weighted = class_weights.size > 0
    weight_total = float(n_classes)
    if weighted:
        weight_total = 0.0
        for c in range(n_classes):
            weight_total += class_weights[c]
    # eps / C in the element dtype (float32 / int64 would be float64)
    return weighted, _ONE - smoothing, smoothing / y_pred.dtype.type(n_classes), weight_total


def _labelled_logits(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale,
                     row_losses, grad, start, stop):
    """The block of logits and class indices without class weights or label smoothing, the value alone (``grad``
    is empty): the row loss lse(z) - z_y = log(sum_c exp(z_c - max)) + (max - z_y), two non-negative terms (no
    cancellation for large logits).

    A loop without row slices (a slice per row took 40% of 10-class rows). A function apart from the other
    labelled-logits blocks: a cold ``lj.cross_entropy`` compiles this one only.
    """
    ignore_index = params[2]
    logits, peaks, log_sums = _summed_exps(y_pred, n_classes, start, stop)
    total = 0.0
    for r in range(stop - start):
        label = labels[start + r]
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        loss = 0.0 if label == ignore_index else log_sums[r] + (peaks[r] - logits[r * n_classes + label])
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


def _labelled_logits_and_gradient(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale,
                                  row_losses, grad, start, stop):
    """:func:`_labelled_logits` with the gradient grad = scale * s * (softmax(z) - [c = y]), s the row weight. After
    :func:`_shifted_exps`, per row the loss and the gradient. Each loop either stores or sums, never both (so each
    has one summation order)."""
    ignore_index, scale = params[2], y_pred.dtype.type(scale)
    logits, work, peaks, sums, log_sums = _shifted_exps(y_pred, n_classes, grad, start, stop)
    total = 0.0
    for r in range(stop - start):
        exps = work[r * n_classes:(r + 1) * n_classes]
        label = labels[start + r]
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        loss = 0.0
        if label == ignore_index:
            exps[:] = 0
        else:
            loss = log_sums[r] + (peaks[r] - logits[r * n_classes + label])
            share = 1.0 / sums[r]
            row_scale = scale * w
            label_exp = exps[label]
            factor = y_pred.dtype.type(row_scale * share)  # the element dtype: see _target_logits
            for c in range(n_classes):
                exps[c] = factor * exps[c]
            exps[label] = row_scale * (share * label_exp - _ONE)  # float64: no cancellation near 1
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


def _general_labelled_logits(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale,
                             row_losses, grad, start, stop):
    """The block of logits and class indices with class weights or label smoothing (or both), the value alone.

    With a_c = (1 - eps) w_y [c = y] + eps / C w_c (the module docstring; w_c = 1 without class
    weights) and A = sum_c a_c, the row loss sum_c a_c (lse(z) - z_c) is
    A log(sum_c exp(z_c - max)) + (1 - eps) w_y (max - z_y) + eps / C sum_c w_c (max - z_c),
    a sum of non-negative terms (no cancellation for large logits); the last only with smoothing.
    """
    eps, smoothing, ignore_index, scale = _options(y_pred, params, scale)
    logits, peaks, log_sums = _summed_exps(y_pred, n_classes, start, stop)
    weighted, keep, smoothing_share, weight_total = _label_coefficients(y_pred, class_weights, smoothing, n_classes)
    total = 0.0
    for r in range(stop - start):
        label = labels[start + r]
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        loss = 0.0
        if label != ignore_index:
            label_weight = class_weights[label] if weighted else _ONE
            peak = peaks[r]
            loss = ((keep * label_weight + smoothing_share * weight_total) * log_sums[r]
                    + _term(keep * label_weight, peak - logits[r * n_classes + label]))
            if smoothing > 0:
                loss += smoothing_share * _smoothing_gap(logits[r * n_classes:(r + 1) * n_classes], peak,
                                                         class_weights)
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


def _general_labelled_logits_and_gradient(y_pred, labels, target, class_weights, params, row_weights, inner,
                                          n_classes, scale, row_losses, grad, start, stop):
    """:func:`_general_labelled_logits` with the gradient grad = scale * s * (A softmax(z) - a), s the row weight,
    as in :func:`_labelled_logits_and_gradient`."""
    eps, smoothing, ignore_index, scale = _options(y_pred, params, scale)
    logits, work, peaks, sums, log_sums = _shifted_exps(y_pred, n_classes, grad, start, stop)
    weighted, keep, smoothing_share, weight_total = _label_coefficients(y_pred, class_weights, smoothing, n_classes)
    total = 0.0
    for r in range(stop - start):
        exps = work[r * n_classes:(r + 1) * n_classes]
        label = labels[start + r]
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        if label == ignore_index:
            loss = 0.0
            exps[:] = 0
        else:
            label_weight = class_weights[label] if weighted else _ONE
            coefficient_sum = keep * label_weight + smoothing_share * weight_total
            peak = peaks[r]
            loss = coefficient_sum * log_sums[r] + _term(keep * label_weight, peak - logits[r * n_classes + label])
            if smoothing > 0:
                loss += smoothing_share * _smoothing_gap(logits[r * n_classes:(r + 1) * n_classes], peak,
                                                         class_weights)
            share = coefficient_sum / sums[r]
            row_scale = scale * w
            label_exp = exps[label]
            factor = y_pred.dtype.type(row_scale * share)  # the element dtype: see _target_logits
            if smoothing == 0:
                for c in range(n_classes):
                    exps[c] = factor * exps[c]
            elif weighted:
                smoothing_scale = row_scale * smoothing_share
                for c in range(n_classes):
                    exps[c] = factor * exps[c] - smoothing_scale * class_weights[c]
            else:
                smoothing_scale = row_scale * smoothing_share
                for c in range(n_classes):
                    exps[c] = factor * exps[c] - smoothing_scale
            exps[label] = row_scale * (share * label_exp - label_weight * (keep + smoothing_share))
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


@njit(**INLINE)
def _target_coefficient(w_c, t_c, keep, smoothing_share):
    """a_c = w_c ((1 - eps) t_c + eps / C) of the module docstring, for a class probability t_c."""
    return w_c * (keep * t_c + smoothing_share)


@njit(**INLINE)
def _target_row(row, t, class_weights, peak, keep, smoothing_share):
    """(A, sum_c a_c (max - z_c)) of a row of logits z and class probabilities t, a_c of
    :func:`_target_coefficient`: a 0 * inf term (a -inf logit without coefficient) counts 0."""
    coefficient_sum = 0.0
    gap_sum = 0.0
    for c in range(row.size):
        a = _target_coefficient(class_weights[c], t[c], keep, smoothing_share)
        coefficient_sum += a
        gap_sum += a * (peak - row[c])
    if gap_sum != gap_sum:  # a NaN, or 0 * inf: again with _term (the test per class in the loop cost 1.1x)
        gap_sum = 0.0
        for c in range(row.size):
            gap_sum += _term(_target_coefficient(class_weights[c], t[c], keep, smoothing_share), peak - row[c])
    return coefficient_sum, gap_sum


def _target_logits(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale,
                   row_losses, grad, start, stop):
    """The block of logits and class probabilities t, the value alone: a_c = w_c ((1 - eps) t_c + eps / C).

    With A = sum_c a_c the row loss sum_c a_c (lse(z) - z_c) is A log(sum_c exp(z_c - max))
    + sum_c a_c (max - z_c), non-negative terms.
    """
    smoothing = y_pred.dtype.type(params[1])
    logits, peaks, log_sums = _summed_exps(y_pred, n_classes, start, stop)
    targets = target[start * n_classes:stop * n_classes]
    keep = _ONE - smoothing
    smoothing_share = smoothing / y_pred.dtype.type(n_classes)  # float32 / int64 would be float64
    total = 0.0
    for r in range(stop - start):
        coefficient_sum, gap_sum = _target_row(logits[r * n_classes:(r + 1) * n_classes],
                                               targets[r * n_classes:(r + 1) * n_classes], class_weights, peaks[r],
                                               keep, smoothing_share)
        loss = coefficient_sum * log_sums[r] + gap_sum
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


def _target_logits_and_gradient(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes,
                                scale, row_losses, grad, start, stop):
    """:func:`_target_logits` with the gradient grad = scale * s * (A softmax(z) - a), s the row weight. After
    :func:`_shifted_exps`, per row one loop sums A and the gaps, one writes the gradient."""
    eps, smoothing, ignore_index, scale = _options(y_pred, params, scale)
    logits, work, peaks, sums, log_sums = _shifted_exps(y_pred, n_classes, grad, start, stop)
    targets = target[start * n_classes:stop * n_classes]
    keep = _ONE - smoothing
    smoothing_share = smoothing / y_pred.dtype.type(n_classes)  # float32 / int64 would be float64
    total = 0.0
    for r in range(stop - start):
        t = targets[r * n_classes:(r + 1) * n_classes]
        coefficient_sum, gap_sum = _target_row(logits[r * n_classes:(r + 1) * n_classes], t, class_weights,
                                               peaks[r], keep, smoothing_share)
        loss = coefficient_sum * log_sums[r] + gap_sum
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        exps = work[r * n_classes:(r + 1) * n_classes]
        row_scale = scale * w
        # In the element dtype: with a float64 factor, float32 loops converted every element (1.2x).
        factor = y_pred.dtype.type(row_scale * coefficient_sum / sums[r])
        for c in range(n_classes):
            exps[c] = factor * exps[c] - row_scale * _target_coefficient(class_weights[c], t[c], keep,
                                                                         smoothing_share)
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


@njit(**INLINE)
def _probability_grad(a, q, eps, row_scale):
    """-row_scale * a / q, 0 where q lies outside [eps, 1 - eps] (it was clipped); NaN stays NaN."""
    q, inside = clip_probability(q, eps)
    return -row_scale * a / q if inside else _ZERO


def _probabilities(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale,
                   row_losses, grad, start, stop):
    """The block of probabilities q, clipped to [eps, 1 - eps]: l = -sum_c a_c log q_c, and
    grad = -scale * s * a_c / q_c (0 where q was clipped), s the row weight.

    The logs of the whole block first, in one vectorised loop (libm's ``log`` per class took 4 ns an
    element). With class indices y, a_c = eps / C w_c plus (1 - eps) w_y at c = y: the loss
    -((1 - eps) w_y log q_y + eps / C sum_c w_c log q_c), whose sum also carries a NaN anywhere in
    the row when eps is 0.
    """
    eps, smoothing, ignore_index, scale = _options(y_pred, params, scale)
    probabilities = y_pred[start * n_classes:stop * n_classes]
    logs = np.empty(probabilities.size, y_pred.dtype)
    for i in range(probabilities.size):
        logs[i] = log_positive(clip_probability(probabilities[i], eps)[0])
    keep = _ONE - smoothing
    smoothing_share = smoothing / y_pred.dtype.type(n_classes)  # float32 / int64 would be float64
    total = 0.0
    for r in range(stop - start):
        first = r * n_classes
        q = probabilities[first:first + n_classes]
        row_logs = logs[first:first + n_classes]
        g = grad[(start + r) * n_classes:(start + r + 1) * n_classes]  # empty when grad is
        w = _ONE if row_weights.size == 0 else row_weights[(start + r) // inner]
        row_scale = scale * w
        loss = 0.0
        if labels.size > 0:
            label = labels[start + r]
            if label == ignore_index:
                g[:] = 0
            else:
                weighted_logs = 0.0
                for c in range(n_classes):
                    weighted_logs += class_weights[c] * row_logs[c]
                label_coefficient = keep * class_weights[label]
                loss = -(label_coefficient * row_logs[label] + smoothing_share * weighted_logs)
                if g.size > 0:
                    for c in range(n_classes):
                        g[c] = _probability_grad(smoothing_share * class_weights[c], q[c], eps, row_scale)
                    g[label] = _probability_grad(label_coefficient + smoothing_share * class_weights[label],
                                                 q[label], eps, row_scale)
        else:
            t = target[(start + r) * n_classes:(start + r + 1) * n_classes]
            for c in range(n_classes):
                loss -= _target_coefficient(class_weights[c], t[c], keep, smoothing_share) * row_logs[c]
            if g.size > 0:
                for c in range(n_classes):
                    g[c] = _probability_grad(_target_coefficient(class_weights[c], t[c], keep, smoothing_share),
                                             q[c], eps, row_scale)
        if row_losses.size > 0:
            row_losses[start + r] = w * loss
        total += w * loss
    return total


#: The blocks by kind of input, each the float64 sum of row_weight * l_n over rows [start, stop) in the signature of
#: the shared row driver's blocks (:func:`.rows.block_signature`), compiled on its first use: class indices with
#: logits (plain, or with class weights or label smoothing) or class probabilities with logits, each for the value
#: alone and with the gradient, or probabilities (either target). :func:`block_kind` names the one a call needs.
BLOCKS = {"labelled logits": _labelled_logits, "labelled logits and gradient": _labelled_logits_and_gradient,
          "general labelled logits": _general_labelled_logits,
          "general labelled logits and gradient": _general_labelled_logits_and_gradient,
          "target logits": _target_logits, "target logits and gradient": _target_logits_and_gradient,
          "probabilities": _probabilities}


def block_kind(from_logits, has_labels, general, gradient):
    """The key of :data:`BLOCKS` for a call; ``general``: with class weights or label smoothing; ``gradient``: the
    call writes one."""
    if not from_logits:
        return "probabilities"
    kind = ("general labelled logits" if general else "labelled logits") if has_labels else "target logits"
    return kind + " and gradient" if gradient else kind


def block_class_weights(kind, class_weights, n_classes):
    """``class_weights``, or ones (empty means "no class weights") for the blocks that read a weight per class:
    those of target logits and of probabilities."""
    if class_weights.size == 0 and kind.startswith(("target logits", "probabilities")):
        return np.ones(n_classes, class_weights.dtype)
    return class_weights


#: The kernel: the shared row driver (:mod:`.rows`) with the block of the input's kind.
softmax_cross_entropy = RowKernel("cross_entropy", BLOCKS)
