"""The shared driver of every pointwise loss ``L = reduce_i w_i l(y_i, p_i)``.

A pointwise loss is one *element function*: ``element(y, p, *params)`` returns ``(l, dl/dp)`` or
``(l, dl/dp, d2l/dp2)`` for one target ``y`` and prediction ``p`` (see ``elements.py`` for the
built-ins). :class:`PointwiseKernel` turns it into one compiled kernel per compute dtype, from two
templates written once for all losses:

* :func:`_block` runs the element function over one block of at most :data:`BLOCK_SIZE` elements:
  in ``mode`` ``SUM`` (losses only), ``SUM_AND_GRAD`` (losses and gradient), ``LOSSES``
  (per-element losses into ``out``) or ``HESSIAN``; it applies the sample weights and adds the
  block's losses up in float64.
* :func:`_kernel` splits the input into blocks, runs them serially below ``PARALLEL_THRESHOLD``
  elements and with ``prange`` above, and adds the block sums in block order: the result is
  bitwise the same at any thread count.

Each loss gets its own copy of both templates (:func:`.typed.bind`), whose global ``call`` is its
element function with the parameters spelled out (``_call_0`` ... ``_call_6``), inlined by Numba
into each loop: every kernel holds one loss's maths and nothing else, with no switch over losses,
and Numba compiles only the loss, and the dtype, that a program uses. The block is compiled on its
own and the kernel calls it by symbol (:mod:`.calls`): compiled once, not once more in each of the
modules that ``prange`` builds. The inputs are typed read-only (:mod:`.typed`), so writeable,
read-only and memory-mapped arrays share one compiled kernel. Numba's on-disk cache keys a
function on its name and its file's contents; the names carry a fingerprint of the element
function's source (:func:`fingerprint`), so editing a loss's maths compiles it anew instead of
loading a stale kernel.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds one weight per run of
``inner`` consecutive elements. Losses are computed in the input dtype (float32 maths stays in
float32) and summed in float64 by one loop that both sum modes run, so that a loss's value is
bitwise the same with or without its gradient: unweighted, as they are computed
(:func:`_unweighted_sum`); weighted, or for a ``BUFFERED`` loss, from a small buffer.
"""

import functools
import hashlib
import inspect
import marshal
import pathlib
import types as python_types

import numba
import numpy as np
from numba import prange, types

from .._config import BLOCK_SIZE, ERROR_MODEL, FASTMATH, PARALLEL_THRESHOLD
from . import calls, typed

SUM, SUM_AND_GRAD, LOSSES, HESSIAN = 0, 1, 2, 3

#: What the templates call: each loss's copies see its own (``typed.bind``); these only name them.
element = call = block = unweighted_sum = HAS_HESSIAN = BUFFERED = None

#: Elements per chunk of a block that stay in the L1 cache: of the buffer of weighted losses, and of
#: the inputs that the gradient loop of an unweighted loss reads again (:func:`_unweighted_sum`).
CHUNK = 512

#: Most parameters an element function may have (one call template each, below).
MAX_PARAMETERS = 6


# The element function with its parameters spelled out: Numba inlines it into the loops (inlined by LLVM
# instead, a large one such as the focal loss's stayed a call per element and its loop scalar, 5-13x
# slower), and Numba cannot inline a call with ``*params``.
def _call_0(y, p, params):
    return element(y, p)


def _call_1(y, p, params):
    return element(y, p, params[0])


def _call_2(y, p, params):
    return element(y, p, params[0], params[1])


def _call_3(y, p, params):
    return element(y, p, params[0], params[1], params[2])


def _call_4(y, p, params):
    return element(y, p, params[0], params[1], params[2], params[3])


def _call_5(y, p, params):
    return element(y, p, params[0], params[1], params[2], params[3], params[4])


def _call_6(y, p, params):
    return element(y, p, params[0], params[1], params[2], params[3], params[4], params[5])


_CALLS = (_call_0, _call_1, _call_2, _call_3, _call_4, _call_5, _call_6)


def _block(y_true, y_pred, weights, inner, params, scale, mode, out, start, stop):
    """float64 sum of w_i l_i over elements [start, stop) (modes SUM, SUM_AND_GRAD; 0 otherwise),
    writing out_i = w_i scale dl_i/dp_i (SUM_AND_GRAD), w_i l_i (LOSSES) or w_i scale d2l_i/dp_i^2
    (HESSIAN).

    Each mode computes only what it writes, then applies the weights: the losses (into ``out``, or
    for SUM into a buffer), the losses and the gradient, or the second derivatives. The sums take
    :data:`CHUNK` elements at a time and add the buffer up by one loop for both modes; the unweighted
    sums of a loss that is not ``BUFFERED`` add the losses up as they are computed instead
    (:func:`_unweighted_sum`). A template: ``call``, ``HAS_HESSIAN``, ``BUFFERED`` and
    ``unweighted_sum`` are bound per loss.
    """
    summed = mode == SUM or mode == SUM_AND_GRAD
    if summed and weights.size == 0 and not BUFFERED:
        return unweighted_sum(y_true, y_pred, params, scale, mode, out, start, stop)
    step = CHUNK if summed else stop - start  # per-element modes write ``out``: one pass
    buffer = np.empty(min(step, stop - start) if summed else 0, y_pred.dtype)
    total = 0.0
    for chunk_start in range(start, stop, step):
        chunk_stop = min(chunk_start + step, stop)
        # Slices indexed from 0: with range(start, stop) LLVM cannot prove i >= 0, keeps Numba's
        # negative-index wraparound per element and does not vectorise.
        y = y_true[chunk_start:chunk_stop]
        p = y_pred[chunk_start:chunk_stop]
        values = buffer[:p.size] if summed else out[chunk_start:chunk_stop]
        if mode == SUM_AND_GRAD:
            grad = out[chunk_start:chunk_stop]
            for i in range(p.size):
                result = call(y[i], p[i], params)
                values[i] = result[0]
                grad[i] = scale * result[1]
            _weigh(grad, weights, inner, chunk_start)
        elif mode == HESSIAN:
            if HAS_HESSIAN:
                for i in range(p.size):
                    values[i] = scale * call(y[i], p[i], params)[2]
        else:
            for i in range(p.size):
                values[i] = call(y[i], p[i], params)[0]
        _weigh(values, weights, inner, chunk_start)
        if summed:
            for i in range(values.size):
                total += values[i]
    return total


def _unweighted_sum(y_true, y_pred, params, scale, mode, out, start, stop):
    """:func:`_block` without weights in the modes SUM and SUM_AND_GRAD, for a loss that is not
    ``BUFFERED``: the losses added up as they are computed, no buffer (for the cheapest losses a
    buffer's extra store and load per element cost up to 2x), and in SUM_AND_GRAD the gradient of
    each :data:`CHUNK` elements right after their sum, while they are in the L1 cache. Both modes run
    the one sum loop, so the value is bitwise the same with or without the gradient (a fused loop that
    also wrote the gradient was vectorised differently by LLVM, and added in another order, for some
    losses and addresses). A template: ``call`` is bound per loss.
    """
    total = 0.0
    for chunk_start in range(start, stop, CHUNK):
        chunk_stop = min(chunk_start + CHUNK, stop)
        y = y_true[chunk_start:chunk_stop]
        p = y_pred[chunk_start:chunk_stop]
        for i in range(p.size):
            total += call(y[i], p[i], params)[0]
        if mode == SUM_AND_GRAD:
            grad = out[chunk_start:chunk_stop]
            for i in range(p.size):
                grad[i] = scale * call(y[i], p[i], params)[1]
    return total


@numba.njit(fastmath=FASTMATH, error_model=ERROR_MODEL, cache=True)
def _weigh(values, weights, inner, start):
    """values_i *= w_i for the elements from ``start`` on: ``weights`` empty (no weights) or one weight
    per run of ``inner`` elements."""
    if weights.size == 0:
        return
    if inner == 1:
        w = weights[start:start + values.size]
        for i in range(values.size):
            values[i] = w[i] * values[i]
        return
    stop = start + values.size
    run_start = start
    while run_start < stop:  # one weight per run: no division per element
        run_stop = min((run_start // inner + 1) * inner, stop)
        w = weights[run_start // inner]
        run = values[run_start - start:run_stop - start]  # a slice indexed from 0, as above
        for i in range(run.size):
            run[i] = w * run[i]
        run_start = run_stop


def _kernel(block, y_true, y_pred, weights, inner, params, scale, mode, out):
    """float64 sum of w_i l_i (modes SUM, SUM_AND_GRAD), over blocks added in block order; every
    mode writes ``out`` as :func:`_block` says. ``block`` is the address of a loss's compiled
    :func:`_block`, called by ``call_block``: one driver, compiled per dtype and number of parameters,
    runs every loss (:func:`_driver`)."""
    n = y_pred.size
    n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
    total = 0.0
    if n < PARALLEL_THRESHOLD:
        for b in range(n_blocks):
            start = b * BLOCK_SIZE
            total += call_block(block, y_true, y_pred, weights, inner, params, scale, mode, out, start,
                                min(start + BLOCK_SIZE, n))
        return total
    partials = np.empty(n_blocks)
    for b in prange(n_blocks):
        start = b * BLOCK_SIZE
        partials[b] = call_block(block, y_true, y_pred, weights, inner, params, scale, mode, out, start,
                                 min(start + BLOCK_SIZE, n))
    for b in range(n_blocks):
        total += partials[b]
    return total


def _signature(dtype, n_params):
    """The arguments of :func:`_kernel` after ``block``, and of :func:`_block` before ``start``."""
    value = typed.scalar(dtype)
    params = types.UniTuple(value, n_params) if n_params else types.Tuple(())
    return (typed.array(dtype), typed.array(dtype), typed.array(dtype), types.int64, params, value, types.int64,
            typed.array(dtype, writeable=True))


def _block_signature(dtype, n_params):
    return types.float64(*_signature(dtype, n_params), types.int64, types.int64)


_DRIVERS = {}


def _driver(dtype, n_params, parallel_threshold=PARALLEL_THRESHOLD):
    """:func:`_kernel` compiled for ``dtype`` and ``n_params`` parameters, shared by every loss (cached on
    disk unless ``parallel_threshold`` is not the default: Numba's cache keys on the source)."""
    key = dtype, n_params, parallel_threshold
    if key not in _DRIVERS:
        kernel = typed.bind(_kernel, f"pointwise_{dtype.name}_{n_params}_parameters",
                            call_block=calls.call_at(_block_signature(dtype, n_params)),
                            PARALLEL_THRESHOLD=parallel_threshold)
        signature = types.float64(calls.ADDRESS, *_signature(dtype, n_params))
        _DRIVERS[key] = numba.njit([signature], parallel=True, fastmath=FASTMATH, error_model=ERROR_MODEL,
                                   cache=parallel_threshold == PARALLEL_THRESHOLD)(kernel)
    return _DRIVERS[key]


class PointwiseKernel(typed.PerDtype):
    """The compiled kernels of one element function: ``kernel[dtype](y_true, y_pred, weights, inner,
    params, scale, mode, out)`` with the arguments of :func:`_kernel`, compiled on first use.

    ``parameters`` maps the element function's parameters (after ``y`` and ``p``) to their defaults;
    ``params`` is a tuple of their values in the compute dtype. ``has_hessian`` says whether the
    element function returns a third value. ``buffered``: for a loss whose maths costs more than
    reading its inputs (logs, exponentials), the losses go to a small buffer summed by one loop for
    both modes (:func:`_block`): the value is then bitwise the same with or without the gradient by
    construction, whatever LLVM makes of the large loop, and in float32 the maths runs 8 lanes wide,
    where a float64 sum in the same loop holds every operation of it to 4 (AVX2).
    """

    def __init__(self, element, name, parameters, has_hessian, buffered=False):
        super().__init__(element, self._signature)
        self.name = name
        self.parameters = dict(parameters)
        self.has_hessian = has_hessian
        self.buffered = buffered
        self._entry_points = {}

    def _signature(self, dtype):
        return _signature(dtype, len(self.parameters))

    def _compile(self, dtype, parallel_threshold=PARALLEL_THRESHOLD):
        jit = {"fastmath": FASTMATH, "error_model": ERROR_MODEL}
        inline = numba.njit(inline="always", **jit)
        element = inline(self.function)
        call = inline(typed.bind(_CALLS[len(self.parameters)], f"{self.name}_call", element=element))
        unweighted_sum = inline(typed.bind(_unweighted_sum, f"{self.name}_unweighted_sum", call=call))
        # The name carries the maths' fingerprint: Numba's cache keys on a function's name and file.
        name = f"{self.name}_{dtype.name}{'_buffered' if self.buffered else ''}_{fingerprint(self.function)}_block"
        block = numba.njit(cache=True, **jit)(typed.bind(_block, name, call=call, HAS_HESSIAN=self.has_hessian,
                                                         BUFFERED=self.buffered, unweighted_sum=unweighted_sum))
        address = calls.address_of(block, _block_signature(dtype, len(self.parameters)))
        driver = _driver(dtype, len(self.parameters), parallel_threshold)
        self._dispatchers[dtype] = (driver, block)
        return functools.partial(driver, address)

    def entry_point(self, dtype):
        """``(driver, block)``: ``self[dtype]`` is ``driver(block, ...)``, where ``driver`` is the compiled
        function itself, without Numba's matching of argument types on each call (0.25 us, a tenth of a
        small loss call). It checks nothing, so its caller passes exactly the signature's types, as
        :class:`lossjit._pointwise.PointwiseJob` does after its checks."""
        try:
            return self._entry_points[dtype]
        except KeyError:
            bound = self[dtype]
            overloads = getattr(bound.func, "overloads", None)  # none with NUMBA_DISABLE_JIT=1
            driver = next(iter(overloads.values())).entry_point if overloads else bound.func
            self._entry_points[dtype] = driver, bound.args[0]
            return self._entry_points[dtype]

    def with_threshold(self, dtype, parallel_threshold):
        """An uncached kernel that runs in parallel from ``parallel_threshold`` elements (for
        ``benchmarks/threshold.py``, which measures where parallel starts to pay)."""
        return self._compile(np.dtype(dtype), parallel_threshold)

    def __repr__(self):
        return f"<lossjit pointwise kernel {self.name}>"


#: The source of the modules every element function may call into: part of each fingerprint.
_SHARED_SOURCES = [pathlib.Path(__file__).with_name(name) for name in ("vector_math.py", "elements.py")]


def fingerprint(function):
    """16 hex digits of a hash of ``function``'s source, of the functions and numbers it names (its
    helpers, recursively) and of lossjit's shared element maths."""
    digest = hashlib.sha256()
    for path in _SHARED_SOURCES:
        digest.update(path.read_bytes())
    seen = set()

    def visit(function):
        if function in seen:
            return
        seen.add(function)
        try:
            digest.update(inspect.getsource(function).encode())
        except (OSError, TypeError):  # no source file (e.g. exec): the bytecode
            digest.update(marshal.dumps(function.__code__))
        for name in _names(function.__code__):
            value = function.__globals__.get(name)
            value = getattr(value, "py_func", value)  # a Numba dispatcher's Python function
            if isinstance(value, python_types.FunctionType):
                visit(value)
            elif isinstance(value, (int, float, np.number)):
                digest.update(f"{name}={value!r}".encode())

    visit(function)
    return digest.hexdigest()[:16]


def _names(code):
    """Global names a code object and the code objects nested in it read."""
    for constant in code.co_consts:
        if isinstance(constant, python_types.CodeType):
            yield from _names(constant)
    yield from code.co_names
