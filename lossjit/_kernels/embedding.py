"""Kernels of the metric-learning losses over rows of embeddings: triplet margin, cosine embedding and
contrastive.

The inputs are flat and C-contiguous, ``width`` values per row; row n holds ``[n * width, (n + 1) * width)``.
Per row, with ``d_p(x, y) = ||x - y + eps||_p`` (torch's ``pairwise_distance``, the difference and ``eps`` in
the arrays' dtype)::

    triplet      l = max(margin + d(a, p) - d(a, n), 0),  swap: d(a, n) -> min(d(a, n), d(p, n))
    cosine       c = <x1, x2> / sqrt((|x1|^2 + E)(|x2|^2 + E)),  E = 1e-12 as a float32 (torch's EPSILON)
                 l = 1 - c (y = 1),  max(c - margin, 0) (y = -1)
    contrastive  d = |x1 - x2|_2,  l = y d^2 / 2 + (1 - y) max(margin - d, 0)^2 / 2   (y in {0, 1})

Gradients follow torch's autograd conventions: a hinge at exactly 0 passes the gradient (``clamp_min``), a
norm of 0 has the subgradient 0, an infinity norm shares the gradient among the entries that reach it, a tie
``d(a, n) = d(p, n)`` under swap gives each half. For a dissimilar contrastive pair at d = 0 the gradient is
0 too (every direction lowers the loss at the rate ``margin``; 0 is the smallest Clarke subgradient).

Each loss's block function (:func:`_triplet`, one copy per order p of the norm; :func:`_cosine`,
:func:`_contrastive`) does one row. Its sums run in float64, for float32 rows too: the differences and
products are formed in float32 (as torch forms them), converted and summed in float64, which costs nothing
next to the memory traffic (a (65536, 128) float32 triplet value and gradient reads and writes 192 MB) and
keeps a row's norm exact to a few float32 ulps at any width. The gradients are written in the arrays' dtype
from per-row coefficients cast once, so those loops run in float32 lanes for float32 rows. The driver
:data:`embedding_loss` calls the block through its address for every row, serially below
``PARALLEL_THRESHOLD`` elements, over rows in parallel above, writing ``w_n l_n`` to ``sample_losses`` and
summing them in row order: bitwise the same at any thread count.
"""

import math

import numpy as np
from numba import njit, prange, types

from .._config import CALLEE, INLINE
from .typed import INT64, array, bind, per_dtype, scalar
from .vector_math import exp_any, from_order_key, log_nonnegative, order_key

#: torch's ``EPSILON`` (``constexpr float 1e-12``) in cosine_embedding_loss's magnitudes, as a float64.
COSINE_EPSILON = float(np.float32(1e-12))

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**INLINE)
def _sign(v):
    """sign(v) in v's dtype: 0 at 0, NaN for NaN."""
    return _ONE if v > 0 else (-_ONE if v < 0 else v * _ZERO)


# The norms of d = x - y + eps, in float64, one set per order p: distance_p(x, y, eps, p) = ||d||_p;
# slope_p(x, y, eps, p, norm, weight) and direction_p(d_j, p, norm), whose product is weight times the norm's
# gradient at d_j (a zero norm has the subgradient 0: its slope is 0). NaN propagates. The functions of one
# element are inlined by Numba: called, they kept the gradient loops from vectorising (p = 1.5: 43 ns an
# element instead of 7).
@njit(**CALLEE)
def _distance_2(x, y, eps, p):
    total = 0.0
    for j in range(x.size):
        d = float(x[j] - y[j] + eps)
        total += d * d
    return math.sqrt(total)


@njit(**CALLEE)
def _slope_2(x, y, eps, p, norm, weight):
    return 0.0 if (weight == 0.0 or norm == 0.0) else weight / norm


@njit(**INLINE)
def _direction_2(d, p, norm):
    return d


@njit(**CALLEE)
def _distance_1(x, y, eps, p):
    total = 0.0
    for j in range(x.size):
        total += float(abs(x[j] - y[j] + eps))
    return total


@njit(**CALLEE)
def _slope_1(x, y, eps, p, norm, weight):
    return weight


@njit(**INLINE)
def _direction_1(d, p, norm):
    return _sign(d)


@njit(**CALLEE)
def _distance_inf(x, y, eps, p):
    """The largest |d_j| as the largest integer key: that loop vectorises, and a NaN (the largest key) stays."""
    peak = order_key(abs(x[0] - y[0] + eps))
    for j in range(1, x.size):
        key = order_key(abs(x[j] - y[j] + eps))
        peak = key if key > peak else peak
    return float(from_order_key(peak))


@njit(**CALLEE)
def _slope_inf(x, y, eps, p, norm, weight):
    """weight / (how many |d_j| reach the norm): torch shares the gradient among them."""
    if weight == 0.0:
        return 0.0
    ties = 0
    for j in range(x.size):
        ties += float(abs(x[j] - y[j] + eps)) == norm
    return weight / ties


@njit(**INLINE)
def _direction_inf(d, p, norm):
    return _sign(d) if float(abs(d)) == norm else d * _ZERO  # NaN stays NaN


@njit(**INLINE)
def _power(base, exponent):
    """base^exponent for base >= 0 (0 -> 0, inf -> inf, NaN -> NaN) in float64 as exp(exponent log(base)), whose
    loops vectorise (libm's pow does not): within ~1e-15 relative for the bases and orders of a norm."""
    return exp_any(exponent * log_nonnegative(base))


@njit(**CALLEE)
def _distance_p(x, y, eps, p):
    total = 0.0
    for j in range(x.size):
        total += _power(float(abs(x[j] - y[j] + eps)), p)
    return total ** (1.0 / p)


@njit(**CALLEE)
def _slope_p(x, y, eps, p, norm, weight):
    return weight


@njit(**INLINE)
def _direction_p(d, p, norm):
    """sign(d) (|d| / norm)^(p - 1): torch's |d|^(p-1) / norm^(p-1) without its overflow."""
    return _sign(d) * _power(float(abs(d)) / norm, p - 1.0)


#: Bound per order p by ``bind`` (the ``_triplet_*`` blocks below); these only name them.
distance = slope = direction = None


def _triplet(anchor, positive, negative, labels, margin, p, eps, swap, n, width, scale, grad_anchor,
             grad_positive, grad_negative):
    """l_n = max(margin + d(a, p) - d(a, n), 0); writes its gradients times ``scale`` when the grads are
    non-empty."""
    start = n * width
    end = start + width
    a, pos, neg = anchor[start:end], positive[start:end], negative[start:end]
    d_ap = distance(a, pos, eps, p)
    d_an = distance(a, neg, eps, p)
    d_pn = distance(pos, neg, eps, p) if swap else 0.0
    share_an, share_pn = 1.0, 0.0  # d(a, n)'s part in min(d(a, n), d(p, n)): torch's at::min gradient
    if swap:
        if d_pn < d_an:
            share_an, share_pn = 0.0, 1.0
        elif d_pn == d_an:
            share_an, share_pn = 0.5, 0.5
    z = margin + d_ap - (d_an if share_an == 1.0 else d_pn)
    loss = 0.0 if z < 0.0 else z  # NaN stays NaN
    if grad_anchor.size > 0:
        weight = 0.0 if z < 0.0 else scale  # clamp_min passes the gradient at z = 0
        cast = grad_anchor.dtype.type
        slope_ap = cast(slope(a, pos, eps, p, d_ap, weight))
        slope_an = cast(slope(a, neg, eps, p, d_an, weight * share_an))
        slope_pn = cast(slope(pos, neg, eps, p, d_pn, weight * share_pn) if swap else 0.0)
        # A zero norm (every d_j = 0) goes to the directions as 1, which makes each of them 0 without a branch
        # in the loops (its slope is 0 or finite).
        d_ap = d_ap if d_ap != 0.0 else 1.0
        d_an = d_an if d_an != 0.0 else 1.0
        d_pn = d_pn if d_pn != 0.0 else 1.0
        ga, gp, gn = grad_anchor[start:end], grad_positive[start:end], grad_negative[start:end]
        if swap:
            for j in range(width):
                u = slope_ap * direction(a[j] - pos[j] + eps, p, d_ap)
                v = slope_an * direction(a[j] - neg[j] + eps, p, d_an)
                w = slope_pn * direction(pos[j] - neg[j] + eps, p, d_pn)
                ga[j] = u - v
                gp[j] = -u - w
                gn[j] = v + w
        else:
            for j in range(width):
                u = slope_ap * direction(a[j] - pos[j] + eps, p, d_ap)
                v = slope_an * direction(a[j] - neg[j] + eps, p, d_an)
                ga[j] = u - v
                gp[j] = -u
                gn[j] = v
    return loss


#: The triplet block per order p: the job picks ``"triplet"`` (p = 2) or ``"triplet_1"``, ``"triplet_inf"``,
#: ``"triplet_p"`` (any other p >= 1), so a program compiles the norms it uses only.
TRIPLET_BLOCKS = {
    f"triplet{suffix}": bind(_triplet, f"_triplet{suffix}", distance=norm[0], slope=norm[1], direction=norm[2])
    for suffix, norm in (("", (_distance_2, _slope_2, _direction_2)), ("_1", (_distance_1, _slope_1, _direction_1)),
                         ("_inf", (_distance_inf, _slope_inf, _direction_inf)),
                         ("_p", (_distance_p, _slope_p, _direction_p)))
}


def _cosine(first, second, unused, labels, margin, p, eps, swap, n, width, scale, grad_first, grad_second,
            grad_unused):
    """l_n = 1 - cos (y = 1) or max(cos - margin, 0) (y = -1), cos as torch computes it; writes the gradients
    times ``scale`` when the grads are non-empty."""
    start = n * width
    end = start + width
    x1, x2 = first[start:end], second[start:end]
    product = square1 = square2 = 0.0
    for j in range(width):
        u = float(x1[j])
        v = float(x2[j])
        product += u * v
        square1 += u * u
        square2 += v * v
    square1 += COSINE_EPSILON
    square2 += COSINE_EPSILON
    denominator = math.sqrt(square1 * square2)
    cos = product / denominator
    if labels[n] == 1:
        loss = 1.0 - cos
        slope = -scale
    else:
        z = cos - margin
        loss = 0.0 if z < 0.0 else z  # NaN stays NaN
        slope = 0.0 if z < 0.0 else scale
    if grad_first.size > 0:
        # d cos / d x1 = x2 / denominator - cos x1 / |x1|^2 (E included), and symmetrically for x2.
        cast = grad_first.dtype.type
        across = cast(slope / denominator)
        own1 = cast(slope * cos / square1)
        own2 = cast(slope * cos / square2)
        g1, g2 = grad_first[start:end], grad_second[start:end]
        for j in range(width):
            g1[j] = across * x2[j] - own1 * x1[j]
            g2[j] = across * x1[j] - own2 * x2[j]
    return loss


def _contrastive(first, second, unused, labels, margin, p, eps, swap, n, width, scale, grad_first,
                 grad_second, grad_unused):
    """l_n = d^2 / 2 (y = 1) or max(margin - d, 0)^2 / 2 (y = 0), d = |x1 - x2|; writes the gradients times
    ``scale`` when the grads are non-empty."""
    start = n * width
    end = start + width
    x1, x2 = first[start:end], second[start:end]
    squares = 0.0
    for j in range(width):
        d = float(x1[j] - x2[j])
        squares += d * d
    if labels[n] == 1:
        loss = 0.5 * squares
        slope = scale
    else:
        distance = math.sqrt(squares)
        gap = margin - distance
        hinge = 0.0 if gap < 0.0 else gap  # NaN stays NaN
        loss = 0.5 * hinge * hinge
        # -(margin - d) / d times d's gradient: 0 beyond the margin, and 0 at d = 0 (see the module docstring)
        slope = 0.0 if (gap <= 0.0 or distance == 0.0) else -scale * gap / distance
    if grad_first.size > 0:
        factor = grad_first.dtype.type(slope)
        g1, g2 = grad_first[start:end], grad_second[start:end]
        for j in range(width):
            g = factor * (x1[j] - x2[j])
            g1[j] = g
            g2[j] = -g
    return loss


#: Bound per dtype by ``per_dtype(blocks=...)``: calls the compiled block at an address (:mod:`.calls`).
call_block = None


def _block_signature(dtype):
    """block(first, second, third, labels, margin, p, eps, swap, n, width, scale, grad1, grad2, grad3) -> l_n."""
    values, written = array(dtype), array(dtype, writeable=True)
    return types.float64(values, values, values, array(np.int64), types.float64, types.float64, scalar(dtype),
                         types.boolean, INT64, INT64, types.float64, written, written, written)


def _signature(dtype):
    """Rows and labels read-only; the weights read-only; float64 sample losses and the gradients written."""
    values, written = array(dtype), array(dtype, writeable=True)
    return (values, values, values, array(np.int64), types.float64, types.float64, scalar(dtype), types.boolean,
            INT64, values, types.float64, array(np.float64, writeable=True), written, written, written)


@per_dtype(_signature, blocks=(_block_signature, {**TRIPLET_BLOCKS, "cosine": _cosine, "contrastive": _contrastive}),
           work="first")
def embedding_loss(block, first, second, third, labels, margin, p, eps, swap, width, sample_weights, scale,
                   sample_losses, grad1, grad2, grad3):
    """sum_n w_n l_n in float64; writes w_n l_n to sample_losses and, if non-empty, the gradients times scale.
    ``block`` is the address of the loss's block function; ``third`` and ``grad3`` are empty for the pair
    losses, ``labels`` for the triplet loss, ``sample_weights`` without weights."""
    n_rows = sample_losses.size
    for n in prange(n_rows):
        w = 1.0 if sample_weights.size == 0 else float(sample_weights[n])
        sample_losses[n] = w * call_block(block, first, second, third, labels, margin, p, eps, swap, n, width,
                                          scale * w, grad1, grad2, grad3)
    total = 0.0
    for n in range(n_rows):
        total += sample_losses[n]
    return total
