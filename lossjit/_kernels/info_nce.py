"""Kernels of the contrastive losses (InfoNCE, CLIP's symmetric form, SimCLR's NT-Xent) over a score matrix.

The caller computes the scores ``S`` (``n_rows`` x ``n_cols``, C order, the embeddings' dtype) with one BLAS
product of L2-normalised rows (:func:`normalize_rows`); the logits are ``z = S / temperature``. One parallel
pass over the rows (:func:`contrastive_pass` with a row block) then gives each row's log-sum-exp ``r_i`` and loss

    l_i = r_i - z_{i,t(i)} = (max_j z_ij - z_{i,t(i)}) + log sum_j exp(z_ij - max_j z_ij)

(two non-negative terms), with the positive in column ``t(i) = (i + positive_offset) mod n_rows``, and, asked
for the gradient, overwrites the row of ``S`` with the coefficients of the weighted loss's gradient in ``S``:

    G_ij = a_i softmax(z_i)_j + b_j exp(z_ij - c_j) - (a_i + b_j) [j = t(i)]

with the row coefficients ``a_i`` (scale x weight / temperature, halved for a loss of two terms) and, for a loss
with a column term, the column coefficients ``b_j`` and log-sum-exps ``c_j`` (from a column pass first, or for
NT-Xent's symmetric matrix the rows' own). The embeddings' gradients are then BLAS products of ``G``
(``G v``, ``G^T u``) and :func:`normalize_rows_backward`. The matrix exists once: the gradient pass writes
``G`` over ``S``. Element maths in the scores' dtype through vectorisable ``exp``; row and column sums in
float64, each in one fixed order, so results are bitwise the same at any thread count.
"""

import math

import numpy as np
from numba import njit, prange, types

from .._config import CALLEE, INLINE
from .typed import FLOAT64, INT64, array, per_dtype
from .vector_math import exp_nonpositive, largest, log_positive

#: How the rows' losses make the samples' (:func:`contrastive_pass`): sample i is row i (InfoNCE), the mean
#: of row i and column i (CLIP's symmetric form), or the mean of rows i and i + N (NT-Xent's pair i).
ROWS, ROW_AND_COLUMN, ROW_PAIRS = 0, 1, 2


@njit(**CALLEE)
def _scaled_norm(row):
    """|row| as m |row / m|, m the largest magnitude: no overflow in the squares. An infinity gives NaN."""
    largest_magnitude = 0.0
    for k in range(row.size):
        largest_magnitude = max(largest_magnitude, abs(float(row[k])))
    squares = 0.0
    for k in range(row.size):
        scaled = float(row[k]) / largest_magnitude
        squares += scaled * scaled
    return largest_magnitude * math.sqrt(squares)


def _normalize_signature(dtype):
    return (array(dtype), INT64, types.float64, array(dtype, writeable=True), array(np.float64, writeable=True),
            array(np.float64, writeable=True))


@per_dtype(_normalize_signature)
def normalize_rows(x, n_cols, epsilon, units, inverse_norms, radial):
    """units_i = x_i / sqrt(max(|x_i|^2, epsilon)) for each row of ``n_cols`` (optax's cosine similarity).

    Writes ``inverse_norms[i]`` = 1 / sqrt(max(|x_i|^2, epsilon)) and ``radial[i]`` = 1, or 0 where the
    squared norm was clipped to ``epsilon`` (a constant divisor: no radial term in the gradient). Serial:
    O(N D) beside the O(N^2 D) products.
    """
    for i in range(inverse_norms.size):
        row = x[i * n_cols:(i + 1) * n_cols]
        squares = 0.0
        for k in range(n_cols):
            squares += float(row[k]) * float(row[k])
        clipped = squares < epsilon  # NaN is not clipped: it propagates
        inverse = 1.0 / math.sqrt(epsilon if clipped else squares)
        if squares == np.inf:  # float64 beyond 1e154: the norm from the row scaled by its largest magnitude
            inverse = 1.0 / _scaled_norm(row)  # 0 or NaN for a row with an infinity: NaN units
        inverse_norms[i] = inverse
        radial[i] = 0.0 if clipped else 1.0
        factor = x.dtype.type(inverse)
        unit = units[i * n_cols:(i + 1) * n_cols]
        for k in range(n_cols):
            unit[k] = row[k] * factor


def _normalize_backward_signature(dtype):
    values = array(np.float64)
    return array(dtype), INT64, values, values, array(dtype, writeable=True)


@per_dtype(_normalize_backward_signature)
def normalize_rows_backward(units, n_cols, inverse_norms, radial, grad):
    """Turns ``grad`` (the gradient in the units u, in place) into the gradient in x:
    (g - radial u (u . g)) / |x| per row (the projection off u of the normalisation's Jacobian)."""
    for i in range(inverse_norms.size):
        unit = units[i * n_cols:(i + 1) * n_cols]
        g = grad[i * n_cols:(i + 1) * n_cols]
        along = 0.0
        for k in range(n_cols):
            along += float(unit[k]) * float(g[k])
        projection = grad.dtype.type(along * radial[i])
        factor = grad.dtype.type(inverse_norms[i])
        for k in range(n_cols):
            g[k] = (g[k] - unit[k] * projection) * factor


@njit(**INLINE)
def _row_log_sum_exp(row, inverse, exps):
    """(max_j z_j, log sum_j exp(z_j - max), sum_j exp(z_j - max)) of logits z = row * inverse (float64 sum),
    with exp(z_j - max) into ``exps``."""
    peak = largest(row) * inverse  # temperature > 0: the largest logit
    for j in range(row.size):
        exps[j] = exp_nonpositive(row[j] * inverse - peak)
    total = 0.0  # a loop that only sums: one summation order
    for j in range(row.size):
        total += exps[j]
    return peak, log_positive(total), total  # total in [1, n_cols]; NaN stays NaN


def _one_sided_rows(scores, n_cols, inverse_temperature, positive_offset, row_coefficients, column_lse,
                    column_coefficients, column_losses, losses, log_sum_exps, start, stop):
    """Rows [start, stop) of the row pass (the module docstring): l_i into ``losses``, r_i into ``log_sum_exps``
    (unless empty), and, when ``row_coefficients`` is not empty, G_i = a_i (softmax(z_i) - e_t(i)) over the row
    of ``scores``. Returns the number of rows done."""
    n_rows = losses.size
    inverse = scores.dtype.type(inverse_temperature)
    exps = np.empty(n_cols, scores.dtype)
    for i in range(start, stop):
        row = scores[i * n_cols:(i + 1) * n_cols]
        positive = (i + positive_offset) % n_rows
        peak, log_total, total = _row_log_sum_exp(row, inverse, exps)
        loss = (float(peak) - float(row[positive] * inverse)) + log_total
        losses[i] = loss
        if log_sum_exps.size > 0:
            log_sum_exps[i] = float(peak) + log_total
        if row_coefficients.size > 0:
            a = row_coefficients[i]
            factor = scores.dtype.type(a / total)
            for j in range(n_cols):
                row[j] = factor * exps[j]
            row[positive] = a * math.expm1(-loss)  # a (p - 1) without cancellation near p = 1
    return stop - start


def _two_sided_rows(scores, n_cols, inverse_temperature, positive_offset, row_coefficients, column_lse,
                    column_coefficients, column_losses, losses, log_sum_exps, start, stop):
    """:func:`_one_sided_rows` with a column term: G_ij = a_i softmax(z_i)_j + b_j exp(z_ij - c_j) - (a_i + b_j)
    [j = t(i)], with ``column_losses[j]`` = c_j - z_{t^-1(j), j} (the column term at its positive)."""
    n_rows = losses.size
    inverse = scores.dtype.type(inverse_temperature)
    exps = np.empty(n_cols, scores.dtype)
    for i in range(start, stop):
        row = scores[i * n_cols:(i + 1) * n_cols]
        positive = (i + positive_offset) % n_rows
        peak, log_total, total = _row_log_sum_exp(row, inverse, exps)
        loss = (float(peak) - float(row[positive] * inverse)) + log_total
        losses[i] = loss
        if log_sum_exps.size > 0:
            log_sum_exps[i] = float(peak) + log_total
        if row_coefficients.size > 0:
            a = row_coefficients[i]
            factor = scores.dtype.type(a / total)
            for j in range(n_cols):
                row[j] = factor * exps[j] + column_coefficients[j] * exp_nonpositive(row[j] * inverse - column_lse[j])
            row[positive] = a * math.expm1(-loss) + column_coefficients[positive] * math.expm1(-column_losses[positive])
    return stop - start


#: Rows per chunk of the column pass: a chunk of a strip of columns is read twice (its maxima, then its exps)
#: while it lies in the L1 cache.
_CHUNK_ROWS = 32


def _columns(scores, n_cols, inverse_temperature, positive_offset, row_coefficients, column_lse, column_coefficients,
             column_losses, losses, log_sum_exps, start, stop):
    """Columns [start, stop) of the column pass of a square score matrix: c_j into ``log_sum_exps`` and
    c_j - z_jj into ``losses``. Down the strip in chunks of rows: the chunk's maxima, the running sums of exps
    (float64) rescaled where a maximum grew, then the chunk's exps added in row order; each a vector loop across
    the strip per row. Returns the number of columns done."""
    n_rows = scores.size // n_cols
    width = stop - start
    inverse = scores.dtype.type(inverse_temperature)
    peaks = np.empty(width, scores.dtype)  # the running maxima of the scores, from row 0's
    chunk_peaks = np.empty(width, scores.dtype)
    logit_peaks = np.empty(width, scores.dtype)
    sums = np.empty(width, FLOAT64)
    for j in range(width):
        sums[j] = 0.0
        peaks[j] = scores[start + j]
        logit_peaks[j] = peaks[j] * inverse
    for first in range(0, n_rows, _CHUNK_ROWS):
        last = min(first + _CHUNK_ROWS, n_rows)
        for j in range(width):
            chunk_peaks[j] = peaks[j]
        for i in range(first, last):
            row = scores[i * n_cols + start:i * n_cols + stop]
            for j in range(width):  # elementwise: vectorised; a NaN shows in the sums
                chunk_peaks[j] = row[j] if row[j] > chunk_peaks[j] else chunk_peaks[j]
        for j in range(width):  # sums times exactly 1 where the maximum stayed (not exp of a rounding error)
            grown = chunk_peaks[j] > peaks[j]
            logit_peak = chunk_peaks[j] * inverse
            sums[j] *= exp_nonpositive(logit_peaks[j] - logit_peak) if grown else 1.0
            logit_peaks[j] = logit_peak
            peaks[j] = chunk_peaks[j]
        for i in range(first, last):
            row = scores[i * n_cols + start:i * n_cols + stop]
            for j in range(width):
                sums[j] += exp_nonpositive(row[j] * inverse - logit_peaks[j])
    for j in range(width):
        log_total = log_positive(sums[j])
        log_sum_exps[start + j] = float(logit_peaks[j]) + log_total
        positive_logit = scores[(start + j) * n_cols + start + j] * inverse  # z_jj
        losses[start + j] = (float(logit_peaks[j]) - float(positive_logit)) + log_total
    return stop - start


#: The passes' blocks: the row pass without a column term (InfoNCE) or with one (CLIP's symmetric form, NT-Xent),
#: and the column pass (CLIP's symmetric form).
BLOCKS = {"one-sided rows": _one_sided_rows, "two-sided rows": _two_sided_rows, "columns": _columns}
#: Rows (or columns) per parallel task of each block.
TASK_SIZES = {"one-sided rows": 8, "two-sided rows": 8, "columns": 64}

#: Bound per dtype by ``per_dtype(blocks=...)``: calls the compiled block at an address (:mod:`.calls`).
call_block = None


def _block_arguments(dtype):
    """Scores (written by the row pass's gradient), row coefficients, column log-sum-exps, coefficients and
    losses read; the pass's losses and log-sum-exps written."""
    written = array(np.float64, writeable=True)
    return (array(dtype, writeable=True), INT64, types.float64, INT64, array(np.float64), array(dtype), array(dtype),
            array(np.float64), written, written)


def _block_signature(dtype):
    return INT64(*_block_arguments(dtype), INT64, INT64)


def _signature(dtype):
    return (*_block_arguments(dtype), INT64, INT64, array(dtype), array(np.float64, writeable=True))


@per_dtype(_signature, blocks=(_block_signature, BLOCKS), work="scores")
def contrastive_pass(block, scores, n_cols, inverse_temperature, positive_offset, row_coefficients, column_lse,
                     column_coefficients, column_losses, losses, log_sum_exps, task_size, combine, sample_weights,
                     sample_losses):
    """One pass over the scores by a block of :data:`BLOCKS`, over its ``losses.size`` rows or columns in tasks
    of ``task_size``: serial below ``PARALLEL_THRESHOLD`` scores, parallel above. Then the samples' weighted
    losses w_i l_i (``combine``: :data:`ROWS`, :data:`ROW_AND_COLUMN` with ``column_losses``,
    :data:`ROW_PAIRS`) into ``sample_losses`` (if not empty) and their float64 sum in sample order."""
    n_items = losses.size
    n_tasks = (n_items + task_size - 1) // task_size
    for task in prange(n_tasks):
        call_block(block, scores, n_cols, inverse_temperature, positive_offset, row_coefficients, column_lse,
                   column_coefficients, column_losses, losses, log_sum_exps, task * task_size,
                   min((task + 1) * task_size, n_items))
    n_samples = sample_losses.size
    for i in range(n_samples):
        if combine == ROW_AND_COLUMN:
            loss = 0.5 * (losses[i] + column_losses[i])
        elif combine == ROW_PAIRS:
            loss = 0.5 * (losses[i] + losses[i + n_samples])
        else:
            loss = losses[i]
        sample_losses[i] = loss if sample_weights.size == 0 else float(sample_weights[i]) * loss
    # The sum in a loop that stores nothing: with the stores above, LLVM compiled a vector and a scalar copy of
    # the loop, picked at run time by where the arrays lay, which summed in two orders.
    total = 0.0
    for i in range(n_samples):
        total += sample_losses[i]
    return total
