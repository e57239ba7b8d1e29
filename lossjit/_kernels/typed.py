"""Kernels compiled for one signature per dtype, on first use, that accept read-only arrays.

Numba compiles a new version of a function for every new combination of argument types it is
called with, and a read-only array (``np.load(..., mmap_mode="r")``, ``a.flags.writeable = False``)
has another type than a writeable one. A kernel that only reads an input is therefore compiled
here with that input typed read-only (:func:`array`): Numba passes a writeable array where a
read-only one is expected without converting anything, and since the dispatcher has exactly the
one signature, it never compiles a second version. :class:`PerDtype` builds that dispatcher per
compute dtype the first time it is asked for one, so a program compiles (or loads from Numba's
on-disk cache) only the kernels and dtypes it uses. A kernel's block function, the one that does
its work, is compiled on its own and called through its address (:mod:`.calls`).
"""

import functools
import types as python_types

import numba
import numpy as np
from numba import types

from .._config import CALLEE, KERNEL
from .calls import ADDRESS, address_of, call_at

#: The integer type of labels, lengths and counts.
INT64 = types.int64


def scalar(dtype):
    """The Numba scalar type of a NumPy dtype."""
    return numba.from_dtype(np.dtype(dtype))


def array(dtype, ndim=1, *, writeable=False):
    """A C-contiguous array type: read-only unless the kernel writes into it."""
    return types.Array(scalar(dtype), ndim, "C", readonly=not writeable)


class PerDtype:
    """``kernel[dtype]``: ``function`` compiled with ``signature(dtype)`` (cached on disk) on first use.

    ``options`` go to ``numba.njit`` after ``cache=True`` and the shared ``fastmath`` and
    ``error_model``; pass ``parallel=True`` for a kernel with ``prange``.

    ``blocks = (signature, {kind: block function})`` gives the kernel a block slot: ``function`` takes
    the address of a block's compiled code as its first argument and calls it by ``call_block(address,
    ...)`` (:mod:`.calls`). ``kernel[dtype]`` is then a :class:`BlockRunner`: ``kernel[dtype](kind, ...)``
    runs it with the block of ``kind``, each block compiled (or loaded from the cache) on its first use.
    """

    def __init__(self, function, signature, blocks=None, **options):
        self.function = function
        self.signature = signature
        self.blocks = blocks
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
        arguments = (ADDRESS, *self.signature(dtype))
        kernel = numba.njit([arguments], **self.options)(
            bind(self.function, self.function.__qualname__, call_block=call_at(block_signature(dtype))))
        jit = {"cache": self.options["cache"], **CALLEE}
        return BlockRunner(kernel, lambda kind: (numba.njit(**jit)(kinds[kind]), block_signature(dtype)))

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


class BlockRunner:
    """A kernel with a block slot, in one dtype: ``runner(kind, *args)`` runs ``kernel(address, *args)``
    with the address of the block of ``kind``, compiled (or loaded from the cache) by
    ``compile_block(kind) -> (dispatcher, signature)`` on its first use: a program compiles only the
    blocks it runs."""

    def __init__(self, kernel, compile_block):
        self.kernel = kernel
        self.compiled_functions = [kernel]  # then each block used, whose code must stay alive
        self._compile_block = compile_block
        self._addresses = {}
        self._with_block = {}  # kind -> the kernel with that block's address bound (a call costs 0.1 us)

    def block(self, kind):
        """The address of the block of ``kind``."""
        if kind not in self._addresses:
            dispatcher, signature = self._compile_block(kind)
            self.compiled_functions.append(dispatcher)
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
    """``@per_dtype(signature, parallel=True)`` above a kernel's function makes it a :class:`PerDtype`."""
    return functools.partial(PerDtype, signature=signature, **options)
