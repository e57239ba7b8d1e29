"""The shared driver of every pointwise loss ``L = reduce_i w_i l(y_i, p_i)``.

A pointwise loss is one *element function*: ``element(y, p, *params)`` returns ``(l, dl/dp)`` or
``(l, dl/dp, d2l/dp2)`` for one target ``y`` and prediction ``p`` (see ``elements.py`` for the
built-ins). :class:`PointwiseKernel` runs it with templates written once for all losses:

* a *block function* per mode runs the element function over one block of at most
  :data:`BLOCK_SIZE` elements: :func:`_sum_block` (SUM: the float64 sum of the weighted losses),
  :func:`_sum_and_grad_block` (SUM_AND_GRAD: that sum, bit for bit, and the gradient),
  :func:`_losses_block` (LOSSES: the weighted losses per element) and :func:`_hessian_block`
  (HESSIAN: the second derivatives);
* :func:`_kernel`, the driver, splits the input into blocks, runs them serially below
  ``PARALLEL_THRESHOLD`` elements and with ``prange`` above, and adds the block sums in block order:
  the result is bitwise the same at any thread count.

Each loss gets its own copy of a block template (:func:`.typed.bind`), whose global ``call`` is its
element function with the parameters spelled out (``_call_0`` ... ``_call_6``), inlined by Numba
into each loop: a block holds one loss's maths and nothing else, with no switch over losses. It is
compiled on its own, for one dtype and mode, on first use, and the driver calls it through its
address (:mod:`.calls`): so one driver per dtype and number of parameters serves every loss, and a
program compiles only the losses, dtypes and modes it runs. The inputs are typed read-only
(:mod:`.typed`), so writeable, read-only and memory-mapped arrays share one compiled kernel.
Numba's on-disk cache keys a function on its name and its file's contents; a block's name carries a
fingerprint of the element function's source (:func:`fingerprint`), so editing a loss's maths
compiles it anew instead of loading a stale block.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds one weight per run of
``inner`` consecutive elements. Losses are computed in the input dtype (float32 maths stays in
float32) and summed in float64, by the same loop with or without the gradient, so that a loss's
value is bitwise the same either way: unweighted, as they are computed; weighted, or for a
``BUFFERED`` loss, from a small buffer.
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
element = call = call_block = BUFFERED = None

#: Elements per chunk of a block that stay in the L1 cache: of the buffer of weighted losses, and of
#: the inputs that the gradient loop of an unweighted loss reads again (:func:`_sum_and_grad_block`).
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


def _sum_block(y_true, y_pred, weights, inner, params, scale, out, start, stop):
    """SUM: the float64 sum of w_i l_i over the elements [start, stop) (``scale``, ``out`` unused)."""
    if weights.size == 0 and not BUFFERED:  # added up as they are computed
        total = 0.0
        for chunk_start in range(start, stop, CHUNK):
            # Slices indexed from 0: with range(start, stop) LLVM cannot prove i >= 0, keeps Numba's
            # negative-index wraparound per element and does not vectorise.
            y = y_true[chunk_start:min(chunk_start + CHUNK, stop)]
            p = y_pred[chunk_start:min(chunk_start + CHUNK, stop)]
            for i in range(p.size):
                total += call(y[i], p[i], params)[0]
        return total
    buffer = np.empty(min(CHUNK, stop - start), y_pred.dtype)
    total = 0.0
    for chunk_start in range(start, stop, CHUNK):
        y = y_true[chunk_start:min(chunk_start + CHUNK, stop)]
        p = y_pred[chunk_start:min(chunk_start + CHUNK, stop)]
        losses = buffer[:p.size]
        for i in range(p.size):
            losses[i] = call(y[i], p[i], params)[0]
        _weigh(losses, weights, inner, chunk_start)
        for i in range(losses.size):
            total += losses[i]
    return total


def _sum_and_grad_block(y_true, y_pred, weights, inner, params, scale, out, start, stop):
    """SUM_AND_GRAD: :func:`_sum_block`'s sum, added in the same order (the same value, bit for bit),
    and out_i = w_i scale dl_i/dp_i."""
    if weights.size == 0 and not BUFFERED:
        total = 0.0
        for chunk_start in range(start, stop, CHUNK):
            y = y_true[chunk_start:min(chunk_start + CHUNK, stop)]
            p = y_pred[chunk_start:min(chunk_start + CHUNK, stop)]
            for i in range(p.size):  # the loop of _sum_block
                total += call(y[i], p[i], params)[0]
            grad = out[chunk_start:min(chunk_start + CHUNK, stop)]
            for i in range(p.size):  # the same elements again, from the L1 cache
                grad[i] = scale * call(y[i], p[i], params)[1]
        return total
    buffer = np.empty(min(CHUNK, stop - start), y_pred.dtype)
    total = 0.0
    for chunk_start in range(start, stop, CHUNK):
        y = y_true[chunk_start:min(chunk_start + CHUNK, stop)]
        p = y_pred[chunk_start:min(chunk_start + CHUNK, stop)]
        losses = buffer[:p.size]
        grad = out[chunk_start:min(chunk_start + CHUNK, stop)]
        for i in range(p.size):
            result = call(y[i], p[i], params)
            losses[i] = result[0]
            grad[i] = scale * result[1]
        _weigh(losses, weights, inner, chunk_start)
        _weigh(grad, weights, inner, chunk_start)
        for i in range(losses.size):
            total += losses[i]
    return total


def _losses_block(y_true, y_pred, weights, inner, params, scale, out, start, stop):
    """LOSSES: out_i = w_i l_i over the elements [start, stop); returns 0."""
    y = y_true[start:stop]
    p = y_pred[start:stop]
    losses = out[start:stop]
    for i in range(p.size):
        losses[i] = call(y[i], p[i], params)[0]
    _weigh(losses, weights, inner, start)
    return 0.0


def _hessian_block(y_true, y_pred, weights, inner, params, scale, out, start, stop):
    """HESSIAN: out_i = w_i scale d2l_i/dp_i^2 (an element function that returns it); returns 0."""
    y = y_true[start:stop]
    p = y_pred[start:stop]
    second = out[start:stop]
    for i in range(p.size):
        second[i] = scale * call(y[i], p[i], params)[2]
    _weigh(second, weights, inner, start)
    return 0.0


#: The block template of each mode, by its number.
_BLOCKS = (_sum_block, _sum_and_grad_block, _losses_block, _hessian_block)


@numba.njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
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


def _kernel(block, y_true, y_pred, weights, inner, params, scale, out):
    """The float64 sum of the block sums, added in block order (for SUM and SUM_AND_GRAD); each block
    writes ``out`` as its mode says. ``block`` is the address of a loss's compiled block function of
    one mode (:data:`_BLOCKS`), called by ``call_block``: one driver, compiled per dtype and number of
    parameters, runs every loss in every mode (:func:`_driver`)."""
    n = y_pred.size
    n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
    total = 0.0
    if n < PARALLEL_THRESHOLD:
        for b in range(n_blocks):
            start = b * BLOCK_SIZE
            total += call_block(block, y_true, y_pred, weights, inner, params, scale, out, start,
                                min(start + BLOCK_SIZE, n))
        return total
    partials = np.empty(n_blocks)
    for b in prange(n_blocks):
        start = b * BLOCK_SIZE
        partials[b] = call_block(block, y_true, y_pred, weights, inner, params, scale, out, start,
                                 min(start + BLOCK_SIZE, n))
    for b in range(n_blocks):
        total += partials[b]
    return total


def _signature(dtype, n_params):
    """The arguments of :func:`_kernel` after ``block``, and of a block function before ``start``."""
    value = typed.scalar(dtype)
    params = types.UniTuple(value, n_params) if n_params else types.Tuple(())
    return (typed.array(dtype), typed.array(dtype), typed.array(dtype), types.int64, params, value,
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
    """The compiled kernels of one element function. ``kernel[dtype]`` is a :class:`.typed.BlockRunner`:
    ``kernel[dtype](mode, y_true, y_pred, weights, inner, params, scale, out)`` runs the shared driver
    (:func:`_driver`) with this loss's block function of ``mode``, each compiled (or loaded from Numba's
    cache) on its first use: a program compiles only the dtypes and modes it runs.

    ``parameters`` maps the element function's parameters (after ``y`` and ``p``) to their defaults;
    ``params`` is a tuple of their values in the compute dtype. ``has_hessian`` says whether the
    element function returns a third value. ``buffered``: for a loss whose maths costs more than
    reading its inputs (logs, exponentials), the sums put the losses in a small buffer that one loop
    adds up (:func:`_sum_block`): in float32 the maths then runs 8 lanes wide, where a float64 sum in
    the same loop holds every operation of it to 4 (AVX2).
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
        signature = _block_signature(dtype, len(self.parameters))
        return typed.BlockRunner(_driver(dtype, len(self.parameters), parallel_threshold),
                                 lambda mode: (self.compile_block(dtype, mode), signature))

    def compile_block(self, dtype, mode):
        """This loss's block function of ``mode`` (:data:`_BLOCKS`), for ``dtype``: a Numba dispatcher that
        compiles it (or loads it from the cache) for :func:`_block_signature` when its address is taken."""
        template = _BLOCKS[mode]
        # The name carries the maths' fingerprint: Numba's cache keys on a function's name and file.
        name = f"{self.name}_{dtype.name}{'_buffered' if self.buffered else ''}_{self._fingerprint}{template.__name__}"
        return numba.njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)(
            typed.bind(template, name, call=self._call, BUFFERED=self.buffered))

    @functools.cached_property
    def _call(self):
        """The element function with its parameters spelled out (``_call_N``), for Numba to inline."""
        inline = numba.njit(inline="always", fastmath=FASTMATH, error_model=ERROR_MODEL)
        return inline(typed.bind(_CALLS[len(self.parameters)], f"{self.name}_call", element=inline(self.function)))

    @functools.cached_property
    def _fingerprint(self):
        """:func:`fingerprint` of the element function, read once (it reads the shared element sources)."""
        return fingerprint(self.function)

    def entry_point(self, dtype, mode):
        """``(driver, block)``: ``self[dtype](mode, ...)`` is ``driver(block, ...)``, where
        ``driver`` is the compiled function itself, without Numba's matching of argument types on each call
        (0.25 us, a tenth of a small loss call), and ``block`` the address of the block function of
        ``mode``. It checks nothing, so its caller passes exactly the signature's types, as
        :class:`lossjit._pointwise.PointwiseJob` does after its checks."""
        try:
            return self._entry_points[dtype, mode]
        except KeyError:
            runner = self[dtype]
            overloads = getattr(runner.kernel, "overloads", None)  # none with NUMBA_DISABLE_JIT=1
            driver = next(iter(overloads.values())).entry_point if overloads else runner.kernel
            self._entry_points[dtype, mode] = driver, runner.block(mode)
            return self._entry_points[dtype, mode]

    def with_threshold(self, dtype, parallel_threshold):
        """A :class:`.typed.BlockRunner` whose driver, not cached, runs in parallel from
        ``parallel_threshold`` elements (for ``benchmarks/threshold.py``, which measures where parallel
        starts to pay)."""
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
