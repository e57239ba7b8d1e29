"""The shared driver of the row losses over ``(N, C)`` scores: cross-entropy, the softmax focal loss, poly-1,
sparsemax and the multi-class hinges.

Each family's block functions (one per kind: a loss, or a kind of target) take one signature,
:func:`block_signature`, and compute the float64 sum of ``row_weight * l_n`` over the rows
``[start, stop)``, writing the per-row losses and the gradient times ``scale`` when those arrays are
not empty. A family that computes one row at a time makes its blocks with :func:`row_block` from its
loss of one row. :func:`_kernel`, shared by every family (:class:`RowKernel`), cuts the rows into blocks of
about ``BLOCK_SIZE`` elements and adds the block sums in block order: bitwise the same at any thread count. It is
compiled per dtype twice, each on its first use: serially for inputs below ``PARALLEL_THRESHOLD`` elements, and
with ``prange`` from there. A block is compiled alone, on its first use, and called through its address
(:mod:`.calls`).

Arrays are flat and C-contiguous: ``y_pred`` and ``target`` hold ``n_rows * n_classes`` elements,
``labels`` ``n_rows`` (or none, when ``target`` is given), ``class_weights`` ``n_classes`` (or none).
``params`` are a family's two numbers and an integer (a margin and a power; an epsilon; eps and gamma; eps, label
smoothing and ignore_index; unused ones are 0).
"""

import numba
import numpy as np
from numba import prange, types

from .._config import BLOCK_SIZE, CALLEE
from .pointwise import fingerprint
from .typed import FLOAT64, INT64, BlockRunner, PerDtype, array, bind, constant

#: Bound per dtype by :class:`RowKernel`: calls the compiled block at an address.
call_block = None
#: Bound per block by :func:`row_block`: a family's loss of one row, and the scratch rows it needs.
row_loss = None
SCRATCH_ROWS = 1

_ONE = constant(1.0)


def signature(dtype):
    """Scores, labels, targets, class weights and row weights read-only; row losses and gradient written."""
    values, written = array(dtype), array(dtype, writeable=True)
    return (values, array(np.int64), values, values, types.Tuple((types.float64, types.float64, INT64)), values,
            INT64, INT64, types.float64, written, written)


def block_signature(dtype):
    return types.float64(*signature(dtype), INT64, INT64)


def _kernel(block, y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale, row_losses,
            grad):
    """sum_n row_weight_n l_n in float64, the block sums added in block order; serial below ``PARALLEL_THRESHOLD``
    elements of ``y_pred``, parallel from there (:class:`.typed.SerialOrParallel`)."""
    n_rows = y_pred.size // n_classes
    rows_per_block = BLOCK_SIZE // n_classes if n_classes <= BLOCK_SIZE else 1
    n_blocks = (n_rows + rows_per_block - 1) // rows_per_block
    partials = np.empty(n_blocks, FLOAT64)
    for b in prange(n_blocks):
        start = b * rows_per_block
        stop = start + rows_per_block if b < n_blocks - 1 else n_rows
        partials[b] = call_block(block, y_pred, labels, target, class_weights, params, row_weights, inner, n_classes,
                                 scale, row_losses, grad, start, stop)
    total = 0.0
    for b in range(n_blocks):
        total += partials[b]
    return total


def _row_block(y_pred, labels, target, class_weights, params, row_weights, inner, n_classes, scale, row_losses, grad,
               start, stop):
    """The float64 sum of w_n l_n over the rows [start, stop), l_n = ``row_loss(y_pred, labels, target,
    class_weights, params, n_classes, r, scale, w, grad, scratch)``, which also writes row r's gradient times
    ``scale * w`` when ``grad`` is not empty; ``scratch`` holds SCRATCH_ROWS rows of C values."""
    scratch = np.empty((SCRATCH_ROWS, n_classes), y_pred.dtype)
    total = 0.0
    for r in range(start, stop):
        w = _ONE if row_weights.size == 0 else row_weights[r // inner]
        loss = row_loss(y_pred, labels, target, class_weights, params, n_classes, r, scale, w, grad, scratch)
        if row_losses.size > 0:
            row_losses[r] = w * loss
        total += w * loss
    return total


def row_block(name, loss_of_row, scratch_rows):
    """A block function that runs ``loss_of_row`` (a compiled function of the signature above) over its rows.
    Its name is ``name`` and the fingerprint of the row's maths: Numba's cache keys a function on its name and
    its file, this one's, so an edit to the family's file must change the name to compile the block anew."""
    maths = fingerprint(getattr(loss_of_row, "py_func", loss_of_row))
    return bind(_row_block, f"{name}_{maths}", row_loss=loss_of_row, SCRATCH_ROWS=scratch_rows)


#: dtype -> the driver (:func:`_kernel`, serial and parallel) that every family shares.
_DRIVERS = {}


class RowKernel(PerDtype):
    """A family's row kernel: ``kernel[dtype](kind, y_pred, labels, target, class_weights, params, row_weights,
    inner, n_classes, scale, row_losses, grad)`` runs the shared driver with the family's block of ``kind``."""

    def __init__(self, name, blocks):
        super().__init__(_kernel, signature, blocks=(block_signature, blocks), work="y_pred")
        self.__name__ = name

    def _compile(self, dtype):
        if dtype not in _DRIVERS:
            _DRIVERS[dtype] = self._kernel(dtype, f"rows_{dtype.name}")
        jit = numba.njit(cache=True, **CALLEE)
        return BlockRunner(_DRIVERS[dtype], lambda kind: (jit(self.blocks[1][kind]), block_signature(dtype)))

    def __repr__(self):
        return f"<lossjit row kernel {self.__name__}>"
