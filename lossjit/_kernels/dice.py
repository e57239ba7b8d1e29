"""Kernel of the soft Dice and Tversky losses over samples of ``C`` class maps of ``S`` elements.

For sample n and class c, with probabilities ``p`` (``y_pred`` itself, or the
softmax over classes / sigmoid of logits) and targets ``t`` over the ``S``
spatial elements, the Dice block (:func:`_dice_sample`) computes::

    I_c = sum_s p_cs t_cs,   P_c = sum_s p_cs,   T_c = sum_s t_cs,   D_c = P_c + T_c + smooth
    l_n = (1 / C) sum_c [1 - (2 I_c + smooth) / D_c]

and the Tversky block (:func:`_tversky_sample`), with false positives and negatives::

    FP_c = sum_s p_cs (1 - t_cs),   FN_c = sum_s (1 - p_cs) t_cs
    B_c = I_c + smooth,   A_c = B_c + alpha FP_c + beta FN_c
    l_n = (1 / C) sum_c [1 - B_c / A_c]

The gradient with respect to probabilities has the form ``g_cs = constant_c - slope_c t_cs``:
``((2 I_c + smooth) / D_c^2 - 2 t_cs / D_c) / C`` for Dice, and for Tversky
``(alpha B_c - (alpha (B_c + FP_c) + beta (B_c + FN_c)) t_cs) / (C A_c^2)``
(``dA_c/dp_cs = alpha + (1 - alpha - beta) t_cs``). Through the softmax over
classes at element s it is ``p_cs (g_cs - sum_k p_ks g_ks)``, through the
sigmoid ``g_cs p_cs (1 - p_cs)``.

Arrays are flat and C-contiguous in (N, C, S) order. ``target`` holds
``N * C * S`` target probabilities, or is empty when ``labels`` holds ``N * S``
class indices. ``sample_weights`` is empty (ones) or holds one weight per run
of ``inner`` samples. Sums over one sample run serially in float64, so the
result does not depend on the number of threads.
"""

import functools
import math

import numpy as np
from numba import njit, prange, types

from .._config import CALLEE, INLINE
from .calls import ADDRESS
from .typed import FLOAT64, INT64, array, per_dtype, scalar

PROBABILITIES = 0
SOFTMAX = 1
SIGMOID = 2

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**CALLEE)
def _probabilities(y_pred, activation, first, n_classes, n_spatial, s, out):
    """Write p_cs of spatial element s into out[c] for every class c."""
    if activation == SOFTMAX:
        peak = y_pred[first + s]
        for c in range(1, n_classes):
            peak = max(peak, y_pred[first + c * n_spatial + s])
        total = 0.0
        for c in range(n_classes):
            e = math.exp(y_pred[first + c * n_spatial + s] - peak)
            out[c] = e
            total += e
        for c in range(n_classes):
            out[c] = out[c] / total
    elif activation == SIGMOID:
        for c in range(n_classes):
            z = y_pred[first + c * n_spatial + s]
            e = math.exp(-abs(z))
            out[c] = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)  # rounded to out's dtype on store
    else:
        for c in range(n_classes):
            out[c] = y_pred[first + c * n_spatial + s]


@njit(**CALLEE)
def _target(labels, target, n, c, s, n_classes, n_spatial):
    """t_cs of sample n."""
    if target.size > 0:
        return target[(n * n_classes + c) * n_spatial + s]
    return _ONE if labels[n * n_spatial + s] == c else _ZERO


def _backward(labels, target, activation, n_classes, n_spatial, n, constant, slope, grad):
    """The gradient of sample n, from the probabilities kept in ``grad``: with respect to p_cs it is
    g_cs = constant_c - slope_c t_cs, then through the softmax or the sigmoid (Dice's and Tversky's alike)."""
    first = n * n_classes * n_spatial
    g = np.empty(n_classes, FLOAT64)
    for s in range(n_spatial):
        weighted_sum = 0.0
        for c in range(n_classes):
            t = _target(labels, target, n, c, s, n_classes, n_spatial)
            g[c] = constant[c] - slope[c] * t
            weighted_sum += grad[first + c * n_spatial + s] * g[c]
        for c in range(n_classes):
            at = first + c * n_spatial + s
            q = grad[at]
            if activation == SOFTMAX:
                grad[at] = q * (g[c] - weighted_sum)
            elif activation == SIGMOID:
                grad[at] = g[c] * q * (_ONE - q)
            else:
                grad[at] = g[c]


def _backward_signature(dtype):
    return types.none(array(np.int64), array(dtype), INT64, INT64, INT64, INT64, array(np.float64, writeable=True),
                      array(np.float64, writeable=True), array(dtype, writeable=True))


#: The backward pass, shared by both blocks, compiled once per dtype on its own (cached) and called at its address
#: (:mod:`.calls`), which the kernel passes on: only a gradient needs it, so a call without one does not compile it,
#: and it is not optimised again inside each block.
backward = per_dtype(_backward_signature, **CALLEE)(_backward)
_call_backward = backward.caller(-1)  # the dtype of grad, its last argument


@functools.cache
def backward_address(dtype, gradient):
    """The kernel's ``backward_at`` for inputs of ``dtype`` (a NumPy dtype): 0 (never called) without a gradient."""
    return backward.address(dtype) if gradient else 0


@njit(**INLINE)
def _class_sums(n_classes):
    """Three float64 arrays of n_classes zeros, for a sample's sums per class (np.empty and a loop: np.zeros would
    compile an allocation function of its own)."""
    sums = np.empty(3 * n_classes, FLOAT64)
    for i in range(sums.size):
        sums[i] = 0.0
    return sums[:n_classes], sums[n_classes:2 * n_classes], sums[2 * n_classes:]


# IEEE division: with smooth = 0 a class empty in both maps gives 0 / 0 = NaN, not a ZeroDivisionError.
def _dice_sample(y_pred, labels, target, activation, smooth, alpha, beta, n_classes, n_spatial, n, scale, grad,
                 backward_at):
    """Dice l_n in float64; writes its gradient times ``scale`` when grad is non-empty, by the backward pass at
    ``backward_at``. ``alpha`` and ``beta`` are the Tversky block's, unused here: both blocks fill the kernel's one
    block slot."""
    first = n * n_classes * n_spatial
    intersection, pred_sum, true_sum = _class_sums(n_classes)
    p = np.empty(n_classes, y_pred.dtype)
    for s in range(n_spatial):
        _probabilities(y_pred, activation, first, n_classes, n_spatial, s, p)
        for c in range(n_classes):
            t = _target(labels, target, n, c, s, n_classes, n_spatial)
            intersection[c] += p[c] * t
            pred_sum[c] += p[c]
            true_sum[c] += t
            if grad.size > 0:
                grad[first + c * n_spatial + s] = p[c]  # kept for the backward pass below
    # The sum in a loop that stores nothing: beside the stores below, LLVM compiled a vector and a
    # scalar copy of the loop, picked at run time by where the scratch arrays lay, which summed in
    # two orders (float64 losses one ulp apart on the same input).
    loss = 0.0
    for c in range(n_classes):
        loss += 1.0 - (2.0 * intersection[c] + smooth) / (pred_sum[c] + true_sum[c] + smooth)
    constant = np.empty(n_classes, FLOAT64)  # g_cs * scale = constant_c - slope_c * t_cs
    slope = np.empty(n_classes, FLOAT64)
    for c in range(n_classes):
        numerator = 2.0 * intersection[c] + smooth
        denominator = pred_sum[c] + true_sum[c] + smooth
        constant[c] = scale * numerator / (denominator * denominator) / n_classes
        slope[c] = scale * 2.0 / denominator / n_classes
    if grad.size > 0:
        _call_backward(backward_at, labels, target, activation, n_classes, n_spatial, n, constant, slope, grad)
    return loss / n_classes


def _tversky_sample(y_pred, labels, target, activation, smooth, alpha, beta, n_classes, n_spatial, n, scale, grad,
                    backward_at):
    """Tversky l_n in float64; writes its gradient times ``scale`` when grad is non-empty, by the backward pass at
    ``backward_at``."""
    first = n * n_classes * n_spatial
    intersection, false_positive, false_negative = _class_sums(n_classes)
    p = np.empty(n_classes, y_pred.dtype)
    for s in range(n_spatial):
        _probabilities(y_pred, activation, first, n_classes, n_spatial, s, p)
        for c in range(n_classes):
            t = _target(labels, target, n, c, s, n_classes, n_spatial)
            intersection[c] += p[c] * t
            false_positive[c] += p[c] * (_ONE - t)
            false_negative[c] += (_ONE - p[c]) * t
            if grad.size > 0:
                grad[first + c * n_spatial + s] = p[c]  # kept for the backward pass below
    loss = 0.0  # in a loop that stores nothing, as in _dice_sample
    for c in range(n_classes):
        numerator = intersection[c] + smooth
        loss += 1.0 - numerator / (numerator + alpha * false_positive[c] + beta * false_negative[c])
    constant = np.empty(n_classes, FLOAT64)  # g_cs * scale = constant_c - slope_c * t_cs
    slope = np.empty(n_classes, FLOAT64)
    for c in range(n_classes):
        numerator = intersection[c] + smooth
        denominator = numerator + alpha * false_positive[c] + beta * false_negative[c]
        squared = denominator * denominator
        # d denominator / dp_cs = alpha + (1 - alpha - beta) t_cs; the slope's numerator,
        # denominator - (1 - alpha - beta) numerator, summed without cancellation:
        growth = alpha * (numerator + false_positive[c]) + beta * (numerator + false_negative[c])
        constant[c] = scale * alpha * numerator / squared / n_classes
        slope[c] = scale * growth / squared / n_classes
    if grad.size > 0:
        _call_backward(backward_at, labels, target, activation, n_classes, n_spatial, n, constant, slope, grad)
    return loss / n_classes


#: Bound per dtype by ``per_dtype(blocks=...)``: calls the compiled block at an address (:mod:`.calls`).
call_block = None


def _signature(dtype):
    """Maps, labels, targets and weights read-only; float64 sample losses and the gradient written."""
    values = array(dtype)
    return (values, array(np.int64), values, INT64, types.float64, types.float64, types.float64, INT64, INT64, values,
            INT64, scalar(dtype), array(np.float64, writeable=True), array(dtype, writeable=True), ADDRESS)


def _sample_signature(dtype):
    """block(y_pred, labels, target, activation, smooth, alpha, beta, n_classes, n_spatial, n, scale, grad,
    backward_at)."""
    values = array(dtype)
    return types.float64(values, array(np.int64), values, INT64, types.float64, types.float64, types.float64, INT64,
                         INT64, INT64, types.float64, array(dtype, writeable=True), ADDRESS)


@per_dtype(_signature, blocks=(_sample_signature, {"dice": _dice_sample, "tversky": _tversky_sample}), work="y_pred")
def dice_loss(sample, y_pred, labels, target, activation, smooth, alpha, beta, n_classes, n_spatial, sample_weights,
              inner, scale, sample_losses, grad, backward_at):
    """sum_n w_n l_n in float64; writes w_n l_n to sample_losses and, if non-empty, the gradient times scale.
    ``sample`` is the address of a block's code: :func:`_dice_sample`'s or :func:`_tversky_sample`'s, which it
    passes ``backward_at`` (:func:`backward_address`). Serial
    below ``PARALLEL_THRESHOLD`` elements of ``y_pred`` (``work``, :class:`.typed.PerDtype`), parallel from there."""
    n_samples = sample_losses.size
    for n in prange(n_samples):
        w = 1.0 if sample_weights.size == 0 else sample_weights[n // inner]
        sample_losses[n] = w * call_block(sample, y_pred, labels, target, activation, smooth, alpha, beta, n_classes,
                                          n_spatial, n, scale * w, grad, backward_at)
    total = 0.0
    for n in range(n_samples):
        total += sample_losses[n]
    return total
