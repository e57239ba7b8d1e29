"""The shared driver of every pointwise loss ``L = reduce_i w_i l(y_i, p_i)``.

A pointwise loss is one *element function*: ``element(y, p, *params)`` returns ``(l, dl/dp)`` or
``(l, dl/dp, d2l/dp2)`` for one target ``y`` and prediction ``p`` (see ``elements.py`` for the
built-ins). Two kinds of compiled function run it:

* the loss's **element loops**, the only code compiled per loss: plain loops over a run of elements with
  the element function inlined into them by Numba, so that a loop holds one loss's maths and nothing else
  and LLVM vectorises it. One small function per kind (``element_loops.py``, one copy per number of
  parameters, which it reads once and passes to the element function by name), compiled (or loaded from
  Numba's cache) for a loss and dtype on the first run that needs it: ``values`` (the losses),
  ``values_and_grads``, ``second`` (the second derivatives) and, for a cheap loss's unweighted sums, ``sums``
  (the sum of the losses as they are computed, then the gradient). A cold ``lj.mse(y, p)`` compiles one loop;
* the **driver**, shared by every loss and compiled once per dtype, a function at a time as runs first need
  them, which does everything else. It splits the input into blocks of :data:`BLOCK_SIZE` elements and adds
  the losses up in float64, a sum per block and the block sums in block order, so the result is bitwise the
  same at any thread count. Below ``PARALLEL_THRESHOLD`` elements Python calls :func:`_direct` (an unweighted
  run, whose loops do all its work: a call of the loops per block) or :func:`_blocks` (a weighted run, or the
  sum of a costly loss, whose losses wait in a buffer of :data:`CHUNK` elements to be weighed by :func:`_weigh`
  if weighted, and added up); from there
  :func:`_parallel` runs a block per ``prange`` iteration, the way either would. The driver's modes: ``SUM``
  (the sum of the weighted losses), ``SUM_AND_GRAD`` (the same sum, bit for bit, and the gradient), ``LOSSES``
  (the weighted losses per element) and ``HESSIAN`` (the second derivatives).

The driver calls the element loops, :func:`_blocks` calls :func:`_weigh` and :func:`_parallel` calls
:func:`_blocks` through the address of their compiled code (:mod:`.calls`): a call, not a copy linked into the
caller, so nothing is compiled twice, one driver serves every loss, and a cold unweighted ``lj.mse`` compiles
:func:`_direct` and its loop only. Parameters come as an array, so losses with and without
parameters share it too. The inputs are typed read-only (:mod:`.typed`), so writeable, read-only and
memory-mapped arrays share one compiled kernel. Numba's on-disk cache keys a function on its name and
its file's contents; the element loops' names carry a fingerprint of the element function's source
(:func:`fingerprint`), so editing a loss's maths compiles it anew instead of loading stale code.

Arrays are flat and C-contiguous. ``weights`` is empty (unweighted) or holds one weight per run of
``inner`` consecutive elements. Losses are computed in the input dtype (float32 maths stays in
float32) and summed in float64, by one loop with or without the gradient (the driver's, or a cheap
loss's ``sums``): a loss's value is bitwise the same either way.
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

from .._config import BLOCK_SIZE, CALLEE, INLINE, KERNEL, PARALLEL_THRESHOLD
from . import calls, element_loops, typed
from .element_loops import CHUNK

SUM, SUM_AND_GRAD, LOSSES, HESSIAN = 0, 1, 2, 3  # the driver's modes

#: What the driver's templates call: each copy sees its own (``typed.bind``); these only name them.
call_blocks = call_loops = call_weigh = None

#: The kinds of element loops (``element_loops.KINDS``), in the order the driver numbers them.
VALUES, VALUES_AND_GRADS, SECOND, SUMS = 0, 1, 2, 3
_LOOP_NAMES = ("values", "values_and_grads", "second", "sums")


def _weigh(values, weights, inner, start):
    """values_i *= w_i for the elements from ``start`` on, with one weight per run of ``inner`` elements."""
    if inner == 1:
        w = weights[start:start + values.size]
        for i in range(values.size):
            values[i] = w[i] * values[i]
        return
    stop = start + values.size
    run_start = start
    while run_start < stop:  # one weight per run: no division per element
        run_stop = (run_start // inner + 1) * inner
        run_stop = stop if stop < run_stop else run_stop
        w = weights[run_start // inner]
        run = values[run_start - start:run_stop - start]  # a slice indexed from 0: a loop LLVM vectorises
        for i in range(run.size):
            run[i] = w * run[i]
        run_start = run_stop


def _direct(loops, mode, y_true, y_pred, params, scale, out):
    """An unweighted run: one call of the element loops at ``loops`` per block, which write their results straight
    to ``out`` (the losses, the second derivatives, the gradient) and return the block's sum, the block sums added in
    block order (as :func:`_parallel` adds them)."""
    n = y_pred.size
    total = 0.0
    for b in range((n + BLOCK_SIZE - 1) // BLOCK_SIZE):
        start = b * BLOCK_SIZE
        stop = start + BLOCK_SIZE if start + BLOCK_SIZE < n else n
        grads = out[start:stop] if mode == SUM_AND_GRAD else out[:0]
        total += call_loops(loops, y_true[start:stop], y_pred[start:stop], params, scale, out[start:stop], grads)
    return total


def _blocks(loops, weigh, mode, y_true, y_pred, weights, inner, params, scale, out, first, last):
    """Blocks ``first`` to ``last - 1`` of a run in the driver's ``mode``, by a loss's element loops at the address
    ``loops``, weighed by :func:`_weigh` at the address ``weigh`` unless ``weights`` is empty (the unweighted sums
    of a costly loss). SUM: returns the float64 sum of w_i l_i,
    the sum of the block sums in block order; SUM_AND_GRAD: also out_i = w_i scale dl_i/dp_i; LOSSES:
    out_i = w_i l_i; HESSIAN: out_i = w_i scale d2l_i/dp_i^2 (these two return 0).

    A sum takes a chunk at a time, whose losses go to a buffer, are weighed, and one loop here adds them up: a
    loss's value is added by the same loop with or without its gradient. A costly loss's maths (exp, log) then
    runs in a loop of its own, the element loops' function: 8 lanes wide in float32, where a float64 sum in the
    same loop would hold it to 4 (AVX2), and faster than the same loop inside a function that also sums (focal
    float32 at 1e6 elements, one thread: 2.79 -> 2.55 ms)."""
    n = y_pred.size
    total = 0.0
    for b in range(first, last):
        block_start = b * BLOCK_SIZE
        block_stop = block_start + BLOCK_SIZE if block_start + BLOCK_SIZE < n else n
        block_total = 0.0
        if mode == LOSSES or mode == HESSIAN:
            values = out[block_start:block_stop]
            call_loops(loops, y_true[block_start:block_stop], y_pred[block_start:block_stop], params, scale, values,
                       out[:0])
            if weights.size:
                call_weigh(weigh, values, weights, inner, block_start)
        else:
            buffer = np.empty(CHUNK, y_pred.dtype)
            for start in range(block_start, block_stop, CHUNK):
                stop = start + CHUNK if start + CHUNK < block_stop else block_stop
                losses = buffer[:stop - start]
                grads = out[start:stop]
                call_loops(loops, y_true[start:stop], y_pred[start:stop], params, scale, losses, grads)
                if weights.size:
                    call_weigh(weigh, losses, weights, inner, start)
                    if mode == SUM_AND_GRAD:
                        call_weigh(weigh, grads, weights, inner, start)
                for i in range(losses.size):  # the one loop that adds up buffered losses, with or without gradient
                    block_total += losses[i]
        total += block_total
    return total


def _parallel(blocks, weigh, loops, mode, y_true, y_pred, weights, inner, params, scale, out):
    """A block per ``prange`` iteration, the block sums added in block order: the sum that :func:`_direct` or
    :func:`_blocks` returns for all blocks at once, bit for bit. ``blocks`` is the address of :func:`_blocks`
    for a run that Python would give it, else 0: the block calls the element loops itself, as :func:`_direct` does
    (a call less per block is a tenth of a cheap loss's time)."""
    n = y_pred.size
    n_blocks = (n + BLOCK_SIZE - 1) // BLOCK_SIZE
    partials = np.empty(n_blocks, typed.FLOAT64)
    for b in prange(n_blocks):
        if blocks == 0:
            start = b * BLOCK_SIZE
            stop = start + BLOCK_SIZE if start + BLOCK_SIZE < n else n
            grads = out[start:stop] if mode == SUM_AND_GRAD else out[:0]
            partials[b] = call_loops(loops, y_true[start:stop], y_pred[start:stop], params, scale, out[start:stop],
                                     grads)
        else:
            partials[b] = call_blocks(blocks, loops, weigh, mode, y_true, y_pred, weights, inner, params, scale,
                                      out, b, b + 1)
    total = 0.0
    for b in range(n_blocks):
        total += partials[b]
    return total


def _arguments(dtype):
    """The arguments of :func:`_blocks` and :func:`_parallel` after ``mode``, up to ``out``."""
    return (typed.array(dtype), typed.array(dtype), typed.array(dtype), types.int64, typed.array(dtype),
            typed.scalar(dtype), typed.array(dtype, writeable=True))


def _loops_signature(dtype):
    return types.float64(typed.array(dtype), typed.array(dtype), typed.array(dtype), typed.scalar(dtype),
                         typed.array(dtype, writeable=True), typed.array(dtype, writeable=True))


def _direct_signature(dtype):
    return types.float64(calls.ADDRESS, types.int64, typed.array(dtype), typed.array(dtype), typed.array(dtype),
                         typed.scalar(dtype), typed.array(dtype, writeable=True))


def _weigh_signature(dtype):
    return types.none(typed.array(dtype, writeable=True), typed.array(dtype), types.int64, types.int64)


def _blocks_signature(dtype):
    return types.float64(calls.ADDRESS, calls.ADDRESS, types.int64, *_arguments(dtype), types.int64, types.int64)


def _parallel_signature(dtype):
    return types.float64(calls.ADDRESS, calls.ADDRESS, calls.ADDRESS, types.int64, *_arguments(dtype))


def _entry_point(dispatcher):
    """A compiled function itself, without Numba's matching of argument types on each call (0.25 us, a tenth
    of a small loss call): its caller passes exactly the signature's types. The dispatcher with
    NUMBA_DISABLE_JIT=1."""
    overloads = getattr(dispatcher, "overloads", None)
    return next(iter(overloads.values())).entry_point if overloads else dispatcher


class _Driver:
    """The driver of one dtype, shared by every pointwise loss. Python runs inputs of fewer than
    ``parallel_threshold`` elements by :func:`_direct` or :func:`_blocks`, larger ones by :func:`_parallel`. Each is
    compiled (or loaded from Numba's cache) on the first run that needs it, so a first unweighted ``lj.mse`` compiles
    only :func:`_direct`: ``driver.direct``, ``driver.blocks`` and ``driver.parallel`` are each, until then, a method
    that compiles the function and puts its entry point in its own place. The parallel part is cached on disk only
    for the default ``parallel_threshold`` (Numba's cache keys on the source, not on a global's value)."""

    def __init__(self, dtype, parallel_threshold):
        self.dtype = dtype
        self.parallel_threshold = parallel_threshold
        self.compiled_functions = []
        self._blocks = self._blocks_address = self._weigh_address = None

    def _compile(self, template, signature, parallel=False, **names):
        name = f"pointwise_{template.__name__.lstrip('_')}_{self.dtype.name}"
        function = typed.bind(template, name, call_loops=calls.call_at(_loops_signature(self.dtype)), **names)
        cache = not parallel or self.parallel_threshold == PARALLEL_THRESHOLD
        dispatcher = numba.njit([signature], parallel=parallel, cache=cache, **KERNEL)(function)
        self.compiled_functions.append(dispatcher)
        return dispatcher

    def direct(self, *args):
        """:func:`_direct`, compiled on its first run."""
        self.direct = _entry_point(self._compile(_direct, _direct_signature(self.dtype)))
        return self.direct(*args)

    def blocks(self, *args):
        """:func:`_blocks`, compiled on its first run."""
        self.blocks = _entry_point(self._blocks_dispatcher())
        return self.blocks(*args)

    def blocks_address(self):
        """The address of :func:`_blocks`' code, for :func:`_parallel`."""
        if self._blocks_address is None:
            self._blocks_address = calls.address_of(self._blocks_dispatcher(), _blocks_signature(self.dtype))
        return self._blocks_address

    def _blocks_dispatcher(self):
        if self._blocks is None:
            self._blocks = self._compile(_blocks, _blocks_signature(self.dtype),
                                         call_weigh=calls.call_at(_weigh_signature(self.dtype)))
        return self._blocks

    def weigh_address(self):
        """The address of :func:`_weigh`'s code, compiled on the first weighted run."""
        if self._weigh_address is None:
            weigh = numba.njit(cache=True, **CALLEE)(typed.bind(_weigh, f"pointwise_weigh_{self.dtype.name}"))
            self.compiled_functions.append(weigh)
            self._weigh_address = calls.address_of(weigh, _weigh_signature(self.dtype))
        return self._weigh_address

    def parallel(self, *args):
        """:func:`_parallel`, compiled on its first run."""
        kernel = self._compile(_parallel, _parallel_signature(self.dtype), parallel=True,
                               call_blocks=calls.call_at(_blocks_signature(self.dtype)))
        self.parallel = _entry_point(kernel)
        return self.parallel(*args)


@functools.cache
def driver(dtype, parallel_threshold=PARALLEL_THRESHOLD):
    """The :class:`_Driver` of ``dtype`` (a NumPy dtype)."""
    return _Driver(dtype, parallel_threshold)


class PointwiseRunner:
    """One loss's kernel in one dtype: ``runner(mode, y_true, y_pred, weights, inner, params, scale, out)``
    runs the driver of the dtype on the loss's element loops of the kind the run needs (each compiled, or
    loaded from Numba's cache, on its first use): serially below the driver's parallel threshold, with
    ``prange`` from it."""

    __slots__ = ("driver", "kernel", "dtype", "_loops")

    def __init__(self, driver, kernel, dtype):
        self.driver = driver
        self.kernel = kernel
        self.dtype = dtype
        self._loops = [None] * 8  # at 2 mode + weighted: (address, direct), once known

    @property
    def compiled_functions(self):
        """The Numba dispatchers run so far: the driver's, then the element loops."""
        return [*self.driver.compiled_functions, *self.kernel.compiled_loops(self.dtype)]

    def loops(self, mode, weighted):
        """(address, direct) for a run in ``mode``, with or without weights: the address of the element loops it
        takes, and whether they do all its work (:func:`_direct`) or :func:`_blocks` weighs them or adds them up
        (a weighted run, or a costly loss's sum)."""
        if self._loops[2 * mode + weighted] is None:
            summed = mode == SUM or mode == SUM_AND_GRAD
            if mode == HESSIAN:
                kind = SECOND
            elif mode == LOSSES or weighted or self.kernel.buffered:
                kind = VALUES_AND_GRADS if mode == SUM_AND_GRAD else VALUES
            else:
                kind = SUMS
            direct = not weighted and not (summed and self.kernel.buffered)
            self._loops[2 * mode + weighted] = self.kernel.loops_address(self.dtype, kind), direct
        return self._loops[2 * mode + weighted]

    def __call__(self, mode, y_true, y_pred, weights, inner, params, scale, out):
        loops, direct = self._loops[2 * mode + (weights.size != 0)] or self.loops(mode, weights.size != 0)
        driver = self.driver
        if direct and y_pred.size < driver.parallel_threshold:
            return driver.direct(loops, mode, y_true, y_pred, params, scale, out)
        weigh = driver.weigh_address() if weights.size else 0
        if y_pred.size < driver.parallel_threshold:
            return driver.blocks(loops, weigh, mode, y_true, y_pred, weights, inner, params, scale, out, 0,
                                 (y_pred.size + BLOCK_SIZE - 1) // BLOCK_SIZE)
        blocks = 0 if direct else driver.blocks_address()
        return driver.parallel(blocks, weigh, loops, mode, y_true, y_pred, weights, inner, params, scale, out)


class PointwiseKernel(typed.PerDtype):
    """The compiled kernels of one element function. ``kernel[dtype]`` is a :class:`PointwiseRunner`:
    the driver of ``dtype`` (compiled once for every loss) with this loss's element loops, compiled (or
    loaded from Numba's cache) on the loss's first use in that dtype.

    ``parameters`` maps the element function's parameters (after ``y`` and ``p``) to their defaults; a
    run takes their values as an array of the compute dtype. ``has_hessian`` says whether the element
    function returns a third value. ``buffered``: for a loss whose maths costs more than reading its inputs
    (logs, exponentials), the sums run its ``values`` or ``values_and_grads`` loops into a small buffer that
    one loop of :func:`_blocks` adds up: its maths then runs once per element with or without the gradient, in a
    loop of its own. A cheap loss adds its losses up as it computes them (``sums``), which saves the buffer's
    trip.
    """

    def __init__(self, element, name, parameters, has_hessian, buffered=False):
        super().__init__(element, signature=None)  # its own _compile: no signature of one function
        self.name = name
        self.parameters = dict(parameters)
        self.has_hessian = has_hessian
        self.buffered = buffered
        self._loops = {}  # (dtype, kind) -> (dispatcher, address)

    def _compile(self, dtype, parallel_threshold=PARALLEL_THRESHOLD):
        return PointwiseRunner(driver(dtype, parallel_threshold), self, dtype)

    def loops_address(self, dtype, kind):
        """The address of this loss's element loops of ``kind`` in ``dtype``, compiled (or loaded from Numba's
        cache) on first use. Their name carries the maths' fingerprint: Numba's cache keys on a function's name
        and file."""
        if (dtype, kind) not in self._loops:
            name = f"{self.name}_{dtype.name}_{self._fingerprint}_{_LOOP_NAMES[kind]}"
            template = element_loops.KINDS[kind][len(self.parameters)]
            loops = numba.njit(cache=True, **CALLEE)(typed.bind(template, name, element=self._element))
            self._loops[dtype, kind] = loops, calls.address_of(loops, _loops_signature(dtype))
        return self._loops[dtype, kind][1]

    def compiled_loops(self, dtype):
        """The Numba dispatchers of the element loops compiled for ``dtype`` so far."""
        return [loops for (loops_dtype, _), (loops, _) in self._loops.items() if loops_dtype == dtype]

    def compiled_functions(self, dtype):
        """The Numba dispatchers that have run this loss in ``dtype``: the driver's, then the element loops."""
        return self[dtype].compiled_functions

    @functools.cached_property
    def _element(self):
        """The element function, for Numba to inline into the element loops."""
        return numba.njit(**INLINE)(self.function)

    @functools.cached_property
    def _fingerprint(self):
        """:func:`fingerprint` of the element function, read once (it reads the shared element sources)."""
        return fingerprint(self.function)

    def with_threshold(self, dtype, parallel_threshold):
        """A :class:`PointwiseRunner` whose driver, not cached, runs in parallel from ``parallel_threshold``
        elements (for ``benchmarks/threshold.py``, which measures where parallel starts to pay)."""
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
