"""The driver of elementwise losses of a target and *two* predicted arrays, with a gradient for each.

``element(y, a, b, c0, c1)`` returns ``(l, dl/da, dl/db)`` for one target ``y`` and predictions ``a``
and ``b`` (the built-ins below), with two parameters ``c0``, ``c1``. One ``b`` may serve a run of
``b_inner`` consecutive elements: a predicted variance per sample for a mean per feature, as torch's
``gaussian_nll_loss`` allows. Its gradient is then the sum over the run.

As in :mod:`.pointwise`, each loss's block function (:func:`_block`, with that loss's element function
bound in) is compiled alone and called through its address by one driver per dtype (:func:`_kernel`),
serially below ``PARALLEL_THRESHOLD`` elements and over blocks of whole runs in parallel above; block
sums are added in block order, so the result is bitwise the same at any thread count.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds one weight per run of
``inner`` elements; ``losses`` receives ``w_i l_i`` when it is not empty, ``grad_a`` and ``grad_b``
the gradient of ``sum_i w_i l_i`` times ``scale`` when they are not.
"""

import math

import numba
import numpy as np
from numba import prange, types

from .._config import BLOCK_SIZE, INLINE
from . import typed
from .vector_math import log_nonnegative

#: Bound per loss by ``typed.bind``.
element = call_block = None

_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


@numba.njit(**INLINE)
def gaussian(y, mean, variance, eps, constant):
    """l = (log v + (m - y)^2 / v) / 2 + constant, v = max(variance, eps); dl/dm = (m - y) / v,
    dl/dv = (1 / v - (m - y)^2 / v^2) / 2 (torch clamps v without a gradient through the clamp)."""
    v = eps if variance < eps else variance  # NaN stays NaN
    d = mean - y
    r = d / v
    return _HALF * (log_nonnegative(v) + d * r) + constant, r, _HALF * (_ONE - d * r) / v


@numba.njit(**INLINE)
def laplace(y, location, scale, eps, constant):
    """l = log b + |m - y| / b + constant, b = max(scale, eps); dl/dm = sign(m - y) / b,
    dl/db = (1 - |m - y| / b) / b."""
    b = eps if scale < eps else scale
    d = location - y
    r = abs(d) / b
    sign = _ONE if d > 0 else (-_ONE if d < 0 else d * _ZERO)  # 0 at d = 0; NaN stays NaN
    return log_nonnegative(b) + r + constant, sign / b, (_ONE - r) / b


@numba.njit(**INLINE)
def margin_ranking(y, x1, x2, margin, unused):
    """l = max(0, margin - y (x1 - x2)); dl/dx1 = -y, dl/dx2 = y where margin - y (x1 - x2) >= 0 (torch's
    subgradient at the hinge), else 0."""
    z = margin - y * (x1 - x2)
    active = z >= 0
    return (z if active else _ZERO * z), (-y if active else _ZERO * z), (y if active else _ZERO * z)


#: Elements per chunk of a block whose weighted losses a small buffer holds before they are added up.
CHUNK = 512


def _block(y_true, a, b, b_inner, params, weights, inner, scale, losses, grad_a, grad_b, first, last):
    """The float64 sum of w_i l_i over the elements of b's entries [first, last); writes losses and
    gradients where asked. The losses are added up from a buffer by a loop of their own, the same with
    or without the gradient, so the value is bitwise the same either way."""
    start, stop = first * b_inner, last * b_inner
    buffer = np.empty(min(CHUNK, stop - start), y_true.dtype)
    total = 0.0
    grad_spread = 0.0
    for chunk_start in range(start, stop, CHUNK):
        chunk_stop = min(chunk_start + CHUNK, stop)
        weighted = buffer[:chunk_stop - chunk_start]
        for i in range(chunk_start, chunk_stop):
            k = i // b_inner
            loss, d_a, d_b = element(y_true[i], a[i], b[k], params[0], params[1])
            w = 1.0 if weights.size == 0 else float(weights[i // inner])
            weighted[i - chunk_start] = w * loss
            if grad_a.size > 0:
                grad_a[i] = scale * w * d_a
                grad_spread += w * d_b
                if i - k * b_inner == b_inner - 1:  # the run of b[k] ends here
                    grad_b[k] = scale * grad_spread
                    grad_spread = 0.0
        if losses.size > 0:  # a loop, not a slice assignment, whose shape check would compile a formatted raise (1.5 s)
            for j in range(weighted.size):
                losses[chunk_start + j] = weighted[j]
        for j in range(weighted.size):
            total += weighted[j]
    return total


def _kernel(block, y_true, a, b, b_inner, params, weights, inner, scale, losses, grad_a, grad_b):
    """sum_i w_i l_i in float64, over blocks of whole runs of b_inner elements added in block order."""
    per_block = max(1, BLOCK_SIZE // b_inner)
    n_blocks = (b.size + per_block - 1) // per_block
    total = 0.0
    partials = np.empty(n_blocks, typed.FLOAT64)
    for k in prange(n_blocks):
        partials[k] = call_block(block, y_true, a, b, b_inner, params, weights, inner, scale, losses, grad_a,
                                 grad_b, k * per_block, min((k + 1) * per_block, b.size))
    for k in range(n_blocks):
        total += partials[k]
    return total


def _signature(dtype):
    values, value = typed.array(dtype), typed.scalar(dtype)
    written = typed.array(dtype, writeable=True)
    return (values, values, values, types.int64, types.UniTuple(value, 2), values, types.int64, types.float64,
            written, written, written)


def _block_signature(dtype):
    return types.float64(*_signature(dtype), types.int64, types.int64)


class PairedKernel(typed.PerDtype):
    """``kernel[dtype](y_true, a, b, b_inner, params, weights, inner, scale, losses, grad_a, grad_b)`` runs
    :func:`_kernel` with the block of the element function ``element``."""

    def __init__(self, element_function):
        name = getattr(element_function, "py_func", element_function).__name__  # a plain function without the JIT
        block = typed.bind(_block, f"paired_{name}_block", element=element_function)
        super().__init__(_kernel, _signature, blocks=(_block_signature, {name: block}), work="y_true")
        self.kind = name

    def __call__(self, dtype, *args):
        return self[dtype](self.kind, *args)


GAUSSIAN = PairedKernel(gaussian)
LAPLACE = PairedKernel(laplace)
MARGIN_RANKING = PairedKernel(margin_ranking)

HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
LOG_TWO = math.log(2.0)
