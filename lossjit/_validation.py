"""Input checks run before any kernel: bad input fails here, by name.

Rules (documented in the README):

* ``y_true`` and ``y_pred`` of a pointwise loss must have the same shape.
  Nothing is broadcast: ``(4,)`` against ``(4, 1)`` is an error, because
  NumPy would silently broadcast it to a ``(4, 4)`` matrix of residuals.
* Arrays must be rectangular (not ragged lists), real numbers (bool, integer or float) and not
  empty. Integer inputs (labels, lengths) must fit int64: uint64 above 2**63 - 1 is an error.
* The compute dtype is float32 when every floating input is float32 (or
  float16), else float64. Integer and bool arrays take the other's dtype.
* ``sample_weight`` is finite and non-negative, with either the loss's shape or
  a leading part of it (``(N,)`` weighs every element of row ``n``). Only reduction="mean" needs
  them to sum to more than zero.
"""

import math

import numpy as np
from numba import njit, prange, types

from ._config import BLOCK_SIZE, PARALLEL_THRESHOLD
from ._kernels import typed
from ._kernels.typed import INT64, per_dtype

REDUCTIONS = ("mean", "sum", "none")


def as_array(value, name):
    """``value`` as an ndarray of real numbers, or a TypeError (or, for a ragged list, a ValueError) naming it."""
    if type(value) is np.ndarray:
        array = value
    else:
        try:
            array = np.asarray(value)
        except ValueError as error:  # NumPy's "inhomogeneous shape": nested sequences of different lengths
            raise ValueError(f"{name} is ragged (nested sequences of different lengths), not a rectangular "
                             "array of numbers") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers (bool, int or float), got dtype {array.dtype}")
    return array


_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_INT64 = np.dtype(np.int64)
#: Shared size-0 arrays per compute dtype, never written: no weights, no parameters.
EMPTY = {_FLOAT32: np.empty(0, _FLOAT32), _FLOAT64: np.empty(0, _FLOAT64)}


def common_dtype(*arrays):
    """The compute dtype of any number of arrays: float32 when every floating one is float32 (or float16),
    else float64 (integer and bool arrays do not count)."""
    floating = [array.dtype for array in arrays if array.dtype.kind == "f"]
    if floating and all(dtype.itemsize <= 4 for dtype in floating):
        return _FLOAT32
    return _FLOAT64


def compute_dtype(first, second=None):
    """:func:`common_dtype` of one or two arrays (``second`` may be None), fast for the common call."""
    dtype = first.dtype
    if (dtype is _FLOAT64 or dtype is _FLOAT32) and (second is None or second.dtype is dtype):
        return dtype  # the common call, without the general rule
    return common_dtype(first) if second is None else common_dtype(first, second)


def flat(array, dtype):
    """A flat C-contiguous copy-if-needed of ``array`` in ``dtype``."""
    if array.dtype is dtype and array.flags.c_contiguous:  # the common case, without NumPy's argument parsing
        return array if array.ndim == 1 else array.reshape(-1)
    return np.ascontiguousarray(array, dtype=dtype).reshape(-1)


def int64_array(array, name):
    """``array`` (integers, or integral finite floats) as a C-contiguous int64 array of its shape (itself
    when it is one already), or a ValueError naming it if a value does not fit int64 (NumPy would wrap it)."""
    if array.dtype is _INT64 and array.flags.c_contiguous:
        return array  # the common call, without NumPy's argument parsing
    check_fits_int64(array, name)
    return np.ascontiguousarray(array, dtype=np.int64).reshape(array.shape)


def check_fits_int64(array, name):
    """A ValueError naming ``array`` if a value lies outside int64, where NumPy's cast would wrap it:
    uint64 above 2**63 - 1, or a float outside [-2**63, 2**63). Other integer dtypes always fit."""
    kind = array.dtype.kind
    if array.size and (kind == "f" or (kind == "u" and array.dtype.itemsize == 8)):
        highest = array.max().item()  # a Python int or float: compared with 2**63 exactly, without casts
        if highest >= 2**63:
            raise ValueError(f"{name} holds values up to {highest}, beyond int64 (at most 2**63 - 1)")
        lowest = array.min().item() if kind == "f" else 0
        if lowest < -2**63:
            raise ValueError(f"{name} holds values down to {lowest}, beyond int64 (at least -2**63)")


def native_float(array):
    """``array`` if it is float32 or float64 in native byte order, else a float64 copy: the dtypes the
    compiled checks take."""
    if array.dtype is _FLOAT64 or array.dtype is _FLOAT32:
        return array
    return array.astype(np.float64)


def flat_pair(y_true, y_pred):
    """(flat y_true, flat y_pred, shape, compute dtype) of a pointwise loss's inputs, checked:
    real numbers, one shape (never broadcast), not empty."""
    if type(y_true) is np.ndarray and type(y_pred) is np.ndarray:  # the common call, in a few attribute reads
        dtype = y_pred.dtype
        if (y_true.dtype is dtype and (dtype is _FLOAT64 or dtype is _FLOAT32) and y_pred.ndim == 1
                and y_true.ndim == 1 and y_true.size == y_pred.size and y_pred.size  # sizes: no shape tuples
                and y_true.flags.c_contiguous and y_pred.flags.c_contiguous):
            return y_true, y_pred, y_pred.shape, dtype
    y_true = as_array(y_true, "y_true")
    y_pred = as_array(y_pred, "y_pred")
    check_same_shape(y_true, y_pred)
    check_not_empty(y_pred, "y_pred")
    dtype = compute_dtype(y_true, y_pred)
    return flat(y_true, dtype), flat(y_pred, dtype), y_pred.shape, dtype


def check_not_empty(array, name):
    if array.size == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one element")


def check_same_shape(y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; lossjit never "
            "broadcasts (NumPy would turn (4,) against (4, 1) into a (4, 4) matrix): reshape one, "
            "e.g. y_pred.reshape(y_true.shape)"
        )


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def check_gradient_out(out, shape, dtype, y_true, y_pred, sample_weight):
    """``out=`` of ``grad``/``value_and_grad``: a writeable C-contiguous ndarray of ``y_pred``'s shape
    and the compute dtype, sharing no memory with an input (the kernels read the inputs again after
    writing the gradient)."""
    if type(out) is not np.ndarray:
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"out must have y_pred's shape {shape}, got {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"out must have the compute dtype {dtype} (see the README's dtype rules), got {out.dtype}")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out must be writeable")
    for name, array in (("y_true", y_true), ("y_pred", y_pred), ("sample_weight", sample_weight)):
        if isinstance(array, np.ndarray) and np.may_share_memory(out, array):
            raise ValueError(f"out must not share memory with {name}")


def check_in_range(array, name, low, high):
    """Values in [low, high]; NaN passes (it propagates into the loss)."""
    if array.dtype.kind == "f":  # NumPy's NaN-skipping fmin/fmax are 5x slower than this one pass
        values = native_float(array).ravel()  # C-contiguous (reshape could keep a strided view)
        check = count_outside if values.size >= PARALLEL_THRESHOLD else count_outside_serial
        outside = check[values.dtype](values, float(low), float(high))
    else:  # integers and bools: no NaN, and NumPy's min and max vectorise
        outside = array.size and (array.min() < low or array.max() > high)
    if outside:
        raise ValueError(f"{name} must lie in [{low}, {high}]; found values from {np.nanmin(array)} to {np.nanmax(array)}")


def check_real_number(value, name):
    """A finite real number of either sign (not a bool), returned as float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive_number(value, name, *, allow_zero=False):
    """A finite real number > 0 (or >= 0), returned as float."""
    if type(value) is float and (0.0 <= value if allow_zero else 0.0 < value) and value < math.inf:
        return value  # the common call, without the isinstance checks (NaN and inf fail both tests)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return value


def sample_weights(sample_weight, loss_shape, dtype):
    """(flat weights, inner): weight ``weights[i // inner]`` for flat element i.

    Returns an empty array when ``sample_weight`` is None.
    """
    if sample_weight is None:
        empty = EMPTY.get(dtype)  # None for a dtype given as a type, such as np.float64
        return (np.empty(0, dtype) if empty is None else empty), 1
    weights = as_array(sample_weight, "sample_weight")
    if weights.shape != loss_shape[: weights.ndim]:
        raise ValueError(
            f"sample_weight has shape {weights.shape}; it must be the loss's shape {loss_shape} "
            "or a leading part of it, such as (N,)"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    inner = int(np.prod(loss_shape[weights.ndim:], dtype=np.int64))
    return flat(weights, dtype), inner


def weight_total(weights, inner, n_elements):
    """Denominator of the weighted mean: sum_i w_i * inner, or n without weights. It is 0.0 when the
    weights sum to zero, which only reduction="mean" refuses (:func:`check_mean_denominator`)."""
    if weights.size == 0:
        return float(n_elements)
    return float(np.sum(weights, dtype=np.float64)) * inner


def check_mean_denominator(total):
    """``total``, the denominator of reduction="mean", or a ValueError if it is zero ("sum" and "none"
    are defined with weights that sum to zero, the mean is not)."""
    if total == 0:
        raise ValueError("sample_weight sums to zero, so the weighted mean is undefined")
    return total


#: Options of the checks compiled per dtype (``check[values.dtype](...)``, inputs read-only): Numba's
#: default maths, without reassociation, so the weight total sums in order.
_CHECK_OPTIONS = {"fastmath": False, "error_model": "python"}


@per_dtype(lambda dtype: (typed.array(np.int64), typed.array(dtype), INT64, typed.array(dtype), INT64),
           **_CHECK_OPTIONS)
def label_weight_total(labels, class_weights, ignore_index, row_weights, inner):
    """sum_n s_n w_{y_n} over the rows whose label is not ``ignore_index`` (torch's mean denominator),
    in float64; w = 1 without class weights, s_n = ``row_weights[n // inner]`` (1 without)."""
    total = 0.0
    for n in range(labels.size):
        label = labels[n]
        if label != ignore_index:
            w = 1.0 if class_weights.size == 0 else float(class_weights[label])
            total += w if row_weights.size == 0 else w * float(row_weights[n // inner])
    return total


@per_dtype(lambda dtype: (typed.array(dtype),), **_CHECK_OPTIONS)
def label_range(labels):
    """(min, max) of a non-empty flat int64 array in one pass (NumPy's min and max cost ~1 us each on
    small arrays). A read-only helper of the checks, not a loss kernel."""
    lowest = highest = labels[0]
    for label in labels:  # not min() and max(): their overloads took 0.09 s of a cold call
        lowest = label if label < lowest else lowest
        highest = label if label > highest else highest
    return lowest, highest


def _count_outside_block(values, low, high):
    # The bounds in the values' dtype (the checks' 0, 1 and inf are exact in float32): compared as
    # float64, float32 values were converted one by one (1.36x at 102,400, 1.56x at 4M elements).
    low = values.dtype.type(low)
    high = values.dtype.type(high)
    count = 0
    for i in range(values.size):  # indexed from 0, and bools added as ints: LLVM vectorises this form (3.5x)
        value = values[i]
        count += (value < low) + (value > high)
    return count


def _range_check_signature(dtype):
    return typed.array(dtype), types.float64, types.float64


#: How many of the flat float ``values`` lie below ``low`` or above ``high`` (NaN does not count), in one
#: serial loop: the check of fewer than ``PARALLEL_THRESHOLD`` values (:func:`check_in_range`), which then
#: does not compile the parallel :data:`count_outside` (0.9 s of a cold first call).
count_outside_serial = per_dtype(_range_check_signature, **_CHECK_OPTIONS)(_count_outside_block)
_count_outside_block = njit(**_CHECK_OPTIONS)(_count_outside_block)


@per_dtype(_range_check_signature, parallel=True, **_CHECK_OPTIONS)
def count_outside(values, low, high):
    """:data:`count_outside_serial` in parallel over blocks, for ``PARALLEL_THRESHOLD`` values and more (a count
    is exact in any order): the check of 4M float32 targets took 1.3 ms on one thread, as long as the rest of a
    cross-entropy call. The bounds must be exact in the values' dtype (such as 0, 1, -1 and inf)."""
    n_blocks = (values.size + BLOCK_SIZE - 1) // BLOCK_SIZE
    counts = np.empty(n_blocks, np.int64)
    for b in prange(n_blocks):
        counts[b] = _count_outside_block(values[b * BLOCK_SIZE:(b + 1) * BLOCK_SIZE], low, high)
    total = 0
    for b in range(n_blocks):  # a loop, not counts.sum(): Numba makes a sum in a parallel kernel a parallel
        total += counts[b]  # reduction of its own, a third of this kernel's compile
    return total


@per_dtype(lambda dtype: (typed.array(dtype), INT64), **_CHECK_OPTIONS)
def count_equal(values, value):
    """How many of the flat int64 ``values`` equal ``value``."""
    count = 0
    for i in range(values.size):
        count += values[i] == value
    return count


@per_dtype(lambda dtype: (typed.array(dtype), INT64, INT64), **_CHECK_OPTIONS)
def count_not_in(values, first, second):
    """How many of the flat ``values`` are neither ``first`` nor ``second`` (NaN does not count)."""
    count = 0
    for i in range(values.size):
        value = values[i]
        count += (value != first) & (value != second) & (value == value)
    return count
