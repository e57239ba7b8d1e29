"""Kernels compiled for one signature per dtype, on first use, that accept read-only arrays.

Numba compiles a new version of a function for every new combination of argument types it is
called with, and a read-only array (``np.load(..., mmap_mode="r")``, ``a.flags.writeable = False``)
has another type than a writeable one. A kernel that only reads an input is therefore compiled
here with that input typed read-only (:func:`array`): Numba passes a writeable array where a
read-only one is expected without converting anything, and since the dispatcher has exactly the
one signature, it never compiles a second version. :class:`PerDtype` builds that dispatcher per
compute dtype the first time it is asked for one, so a program compiles (or loads from Numba's
on-disk cache) only the kernels and dtypes it uses. A kernel's block function, the one that does
its work, is compiled on its own and called through its address (:mod:`.calls`). A kernel with one
``prange`` loop is compiled serially for small inputs and in parallel for large ones, each on its first
use (:class:`SerialOrParallel`): a small first call does not pay for the parallel compile.
"""

import functools
import inspect
import types as python_types

import numba
import numpy as np
from numba import types
from numba.np.numpy_support import as_dtype

from .._config import CALLEE, KERNEL, PARALLEL_THRESHOLD
from .calls import ADDRESS, address_of, call_at

#: The integer type of labels, lengths and counts.
INT64 = types.int64

#: The dtype of float64 work arrays in kernels: ``np.empty(n, FLOAT64)``. A NumPy dtype, as ``y_pred.dtype`` is, so
#: that ``np.empty(n, y_pred.dtype)`` and ``np.empty(n, FLOAT64)`` in a float64 kernel share one compiled allocation
#: function (per set of compile options: a kernel and its blocks each have theirs). Each other way to make an array
#: (``np.zeros``, ``np.full``, no dtype, ``dtype=`` by keyword, ``np.float64``) compiles one of its own, 0.04-0.1 s
#: of a cold call each: a cold ``lj.dice`` compiled six, now two.
FLOAT64 = np.dtype(np.float64)


def scalar(dtype):
    """The Numba scalar type of a NumPy dtype."""
    return numba.from_dtype(np.dtype(dtype))


def constant(value):
    """A number in element maths: ``np.float32`` when compiled, which float64 arithmetic promotes losslessly and
    float32 arithmetic keeps in float32; without the JIT (``NUMBA_DISABLE_JIT=1``) a Python float, which NumPy gives
    the other operand's dtype in the same way (a NumPy float32 would round float64 maths to float32)."""
    return float(value) if numba.config.DISABLE_JIT else np.float32(value)


def array(dtype, ndim=1, *, writeable=False):
    """A C-contiguous array type: read-only unless the kernel writes into it."""
    return types.Array(scalar(dtype), ndim, "C", readonly=not writeable)


class PerDtype:
    """``kernel[dtype]``: ``function`` compiled with ``signature(dtype)`` (cached on disk) on first use.

    ``options`` go to ``numba.njit`` after ``cache=True`` and the shared ``fastmath`` and
    ``error_model``; pass ``parallel=True`` for a kernel with ``prange``.

    ``work="name"``, for a kernel with ``prange``: the argument that sizes its work (an array, by its size, or an
    integer). The kernel is then compiled twice per dtype, each on its first use: serially (``prange`` is
    ``range`` there) for work below ``PARALLEL_THRESHOLD``, and with ``parallel=True``, whose compile costs about
    three times as much, from there (:class:`SerialOrParallel`).

    ``blocks = (signature, {kind: block function})`` gives the kernel a block slot: ``function`` takes
    the address of a block's compiled code as its first argument and calls it by ``call_block(address,
    ...)`` (:mod:`.calls`). ``kernel[dtype]`` is then a :class:`BlockRunner`: ``kernel[dtype](kind, ...)``
    runs it with the block of ``kind``, each block compiled (or loaded from the cache) on its first use.
    """

    def __init__(self, function, signature, blocks=None, work=None, **options):
        self.function = function
        self.signature = signature
        self.blocks = blocks
        self.work = work
        self.options = {"cache": True, **KERNEL, **options}
        self._compiled = {}
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__

    def __getitem__(self, dtype):
        try:
            return self._compiled[dtype]  # a subscript, not .get(): this runs on every loss call
        except KeyError:  # a first use, or a dtype given as a type (np.float32 does not hash as its dtype)
            dtype = np.dtype(dtype)
            if dtype not in self._compiled:
                self._compiled[dtype] = self._compile(dtype)
            return self._compiled[dtype]

    def _compile(self, dtype):
        if self.blocks is None:
            return numba.njit([self.signature(dtype)], **self.options)(self.function)
        block_signature, kinds = self.blocks
        jit = {"cache": self.options["cache"], **CALLEE}
        return BlockRunner(self._kernel(dtype), lambda kind: (numba.njit(**jit)(kinds[kind]), block_signature(dtype)))

    def _kernel(self, dtype, name=None):
        """The kernel of a block slot in ``dtype``, named ``name`` (the function's by default): one dispatcher, or a
        :class:`SerialOrParallel` pair."""
        name = name or self.function.__qualname__
        function = bind(self.function, name, call_block=call_at(self.blocks[0](dtype)))
        arguments = [(ADDRESS, *self.signature(dtype))]
        if self.work is None:
            return numba.njit(arguments, **self.options)(function)

        def compile(parallel):
            return numba.njit(arguments, **{**self.options, "parallel": parallel})(
                bind(function, name if parallel else f"{name}_serial"))

        return SerialOrParallel(compile, list(inspect.signature(self.function).parameters).index(self.work))

    def address(self, dtype):
        """The address of the code compiled for ``dtype``: for a helper that compiled code calls at its address
        (:func:`.calls.call_at`), compiled on its own rather than linked into, and optimised again in, each
        caller."""
        return address_of(self[dtype], self.signature(np.dtype(dtype)))

    def caller(self, dtype_argument):
        """``call(address, *args)`` for njit code (:func:`.calls.call_at`): runs this function, compiled for the dtype
        of ``args[dtype_argument]``, at the address :meth:`address` gave for that dtype."""
        return call_at(lambda arguments: self.signature(as_dtype(arguments[dtype_argument].dtype)))

    def compiled_functions(self, dtype):
        """The Numba dispatchers compiled for ``dtype``: the kernel's, then those of the blocks used."""
        compiled = self[dtype]
        return list(compiled.compiled_functions) if isinstance(compiled, BlockRunner) else [compiled]

    def compiled_dtypes(self):
        """The dtypes compiled (or loaded from the cache) in this process."""
        return tuple(self._compiled)

    @property
    def signatures(self):
        """The signatures compiled in this process, over every dtype (as a Numba dispatcher's)."""
        return [signature for dtype in self._compiled for signature in self.compiled_functions(dtype)[0].signatures]

    def __repr__(self):
        return f"<lossjit kernel {self.function.__module__}.{self.function.__qualname__}>"


class SerialOrParallel:
    """``kernel(*args)``: ``compile(False)``, the serial compile of a kernel, for work below ``PARALLEL_THRESHOLD``
    (``args[work]``: an array's size, or an integer), and ``compile(True)``, the parallel one, from there, each
    compiled (or loaded from the cache) on its first use. Both run the same code, the same blocks in the same
    order: the same bits."""

    #: Every pair made in this process (for :func:`compile_parallel_kernels`).
    made = []

    def __init__(self, compile, work):
        self._compile = compile
        self._work = work
        self._kernels = [None, None]  # serial, parallel
        self.compiled_functions = []
        SerialOrParallel.made.append(self)

    def kernel(self, parallel):
        """The serial or the parallel kernel, compiled on first use."""
        if self._kernels[parallel] is None:
            self._kernels[parallel] = self._compile(parallel)
            self.compiled_functions.append(self._kernels[parallel])
        return self._kernels[parallel]

    def __call__(self, *args):
        work = args[self._work]
        parallel = (work.size if isinstance(work, np.ndarray) else work) >= PARALLEL_THRESHOLD
        return (self._kernels[parallel] or self.kernel(parallel))(*args)


def compile_parallel_kernels():
    """Compile (or load from the cache) the parallel kernel of every :class:`SerialOrParallel` pair made so far: the
    warm-up's small inputs ran the serial ones."""
    for pair in SerialOrParallel.made:
        pair.kernel(True)


class BlockRunner:
    """A kernel with a block slot, in one dtype: ``runner(kind, *args)`` runs ``kernel(address, *args)``
    with the address of the block of ``kind``, compiled (or loaded from the cache) by
    ``compile_block(kind) -> (dispatcher, signature)`` on its first use: a program compiles only the
    blocks it runs."""

    def __init__(self, kernel, compile_block):
        self.kernel = kernel
        self._compile_block = compile_block
        self._blocks = []  # each block used, whose code must stay alive
        self._addresses = {}
        self._with_block = {}  # kind -> the kernel with that block's address bound (a call costs 0.1 us)

    @property
    def compiled_functions(self):
        """The Numba dispatchers used: the kernel's (serial, parallel or both), then the blocks'."""
        kernels = getattr(self.kernel, "compiled_functions", [self.kernel])
        return [*kernels, *self._blocks]

    def block(self, kind):
        """The address of the block of ``kind``."""
        if kind not in self._addresses:
            dispatcher, signature = self._compile_block(kind)
            self._blocks.append(dispatcher)
            self._addresses[kind] = address_of(dispatcher, signature)
            self._with_block[kind] = functools.partial(self.kernel, self._addresses[kind])
        return self._addresses[kind]

    def __call__(self, kind, *args):
        try:
            return self._with_block[kind](*args)
        except KeyError:
            self.block(kind)
            return self._with_block[kind](*args)


def bind(template, name, **names):
    """A copy of the function ``template`` named ``name`` that sees ``names`` as globals, beside its
    module's."""
    function = python_types.FunctionType(template.__code__, {**template.__globals__, **names}, name)
    function.__qualname__ = name
    function.__doc__ = template.__doc__
    return function


def per_dtype(signature, **options):
    """``@per_dtype(signature, blocks=..., work="y_pred")`` above a kernel's function makes it a :class:`PerDtype`."""
    return functools.partial(PerDtype, signature=signature, **options)
