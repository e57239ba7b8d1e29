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

from .._config import ERROR_MODEL, FASTMATH
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

    ``blocks`` maps the name of a function that ``function`` calls to ``(block function,
    signature(dtype))``: each block is compiled on its own (and cached), and ``function`` takes the
    address of its code as a first argument, one per block, and calls it by ``name(address, ...)``
    (:mod:`.calls`). ``kernel[dtype]`` then has those addresses bound: it takes the arguments of
    ``signature``.
    """

    def __init__(self, function, signature, blocks=None, **options):
        self.function = function
        self.signature = signature
        self.blocks = dict(blocks or {})
        self.options = {"cache": True, "fastmath": FASTMATH, "error_model": ERROR_MODEL, **options}
        self._compiled = {}
        self._dispatchers = {}  # dtype -> the compiled kernel and blocks (which must stay alive)
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
        if not self.blocks:
            kernel = numba.njit([self.signature(dtype)], **self.options)(self.function)
            self._dispatchers[dtype] = (kernel,)
            return kernel
        callers = {name: call_at(signature(dtype)) for name, (_, signature) in self.blocks.items()}
        kernel_signature = self.signature(dtype)
        arguments = (ADDRESS,) * len(self.blocks) + tuple(getattr(kernel_signature, "args", kernel_signature))
        kernel_signature = (kernel_signature.return_type(*arguments) if hasattr(kernel_signature, "return_type")
                            else arguments)
        kernel = numba.njit([kernel_signature], **self.options)(bind(self.function, self.function.__qualname__,
                                                                     **callers))
        blocks = [numba.njit(cache=self.options["cache"], fastmath=FASTMATH, error_model=ERROR_MODEL)(function)
                  for function, _ in self.blocks.values()]
        addresses = [address_of(block, signature(dtype)) for block, (_, signature) in zip(blocks, self.blocks.values())]
        self._dispatchers[dtype] = (kernel, *blocks)
        return functools.partial(kernel, *addresses)

    def compiled_functions(self, dtype):
        """The Numba dispatchers compiled for ``dtype``: the kernel's, then its blocks'."""
        self[dtype]
        return self._dispatchers[np.dtype(dtype)]

    def compiled_dtypes(self):
        """The dtypes compiled (or loaded from the cache) in this process."""
        return tuple(self._compiled)

    @property
    def signatures(self):
        """The signatures compiled in this process, over every dtype (as a Numba dispatcher's)."""
        return [signature for compiled in self._dispatchers.values() for signature in compiled[0].signatures]

    def __repr__(self):
        return f"<lossjit kernel {self.function.__module__}.{self.function.__qualname__}>"


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
