"""Kernels compiled for one signature per dtype, on first use, that accept read-only arrays.

Numba compiles a new version of a function for every new combination of argument types it is
called with, and a read-only array (``np.load(..., mmap_mode="r")``, ``a.flags.writeable = False``)
has another type than a writeable one. A kernel that only reads an input is therefore compiled
here with that input typed read-only (:func:`array`): Numba passes a writeable array where a
read-only one is expected without converting anything, and since the dispatcher has exactly the
one signature, it never compiles a second version. :class:`PerDtype` builds that dispatcher per
compute dtype the first time it is asked for one, so a program compiles (or loads from Numba's
on-disk cache) only the kernels and dtypes it uses.
"""

import functools

import numba
import numpy as np
from numba import types

from .._config import ERROR_MODEL, FASTMATH

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
    """

    def __init__(self, function, signature, **options):
        self.function = function
        self.signature = signature
        self.options = {"cache": True, "fastmath": FASTMATH, "error_model": ERROR_MODEL, **options}
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
        return numba.njit([self.signature(dtype)], **self.options)(self.function)

    def compiled_dtypes(self):
        """The dtypes compiled (or loaded from the cache) in this process."""
        return tuple(self._compiled)

    @property
    def signatures(self):
        """The signatures compiled in this process, over every dtype (as a Numba dispatcher's)."""
        return [signature for compiled in self._compiled.values() for signature in compiled.signatures]

    def __repr__(self):
        return f"<lossjit kernel {self.function.__module__}.{self.function.__qualname__}>"


def per_dtype(signature, **options):
    """``@per_dtype(signature, parallel=True)`` above a kernel's function makes it a :class:`PerDtype`."""
    return functools.partial(PerDtype, signature=signature, **options)
