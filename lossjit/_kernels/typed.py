"""Kernels compiled for one signature per dtype, on first use, that accept read-only arrays.

Numba compiles a new version of a function for every new combination of argument types it is
called with, and a read-only array (``np.load(..., mmap_mode="r")``, ``a.flags.writeable = False``)
has another type than a writeable one. A kernel that only reads an input is therefore compiled
here with that input typed read-only (:func:`array`): Numba passes a writeable array where a
read-only one is expected without converting anything, and since the dispatcher has exactly the
one signature, it never compiles a second version. :class:`PerDtype` builds that dispatcher per
compute dtype the first time it is asked for one, so a program compiles (or loads from Numba's
on-disk cache) only the kernels and dtypes it uses. A kernel's block function, the one that does
its work, is compiled on its own and called by symbol (:mod:`.calls`).
"""

import functools
import types as python_types

import numba
import numpy as np
from numba import types

from .._config import ERROR_MODEL, FASTMATH
from .calls import call_compiled, symbols_digest

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
    ``error_model``; pass ``parallel=True`` for a kernel with ``prange``. ``blocks`` maps a global
    name that ``function`` calls to ``(block function, signature(dtype))``: each is compiled on its
    own, cached, and called by symbol (:func:`.calls.call_compiled`) instead of compiled again into
    the kernel.
    """

    def __init__(self, function, signature, blocks=None, **options):
        self.function = function
        self.signature = signature
        self.blocks = dict(blocks or {})
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
        return compile_with_blocks(self.function, self.function.__qualname__, self.signature(dtype), self.options,
                                   {name: (function, signature(dtype)) for name, (function, signature)
                                    in self.blocks.items()})

    def compiled_dtypes(self):
        """The dtypes compiled (or loaded from the cache) in this process."""
        return tuple(self._compiled)

    @property
    def signatures(self):
        """The signatures compiled in this process, over every dtype (as a Numba dispatcher's)."""
        return [signature for compiled in self._compiled.values() for signature in compiled.signatures]

    def __repr__(self):
        return f"<lossjit kernel {self.function.__module__}.{self.function.__qualname__}>"


def compile_with_blocks(function, name, signature, options, blocks, extra_globals=None):
    """``function`` compiled as ``name`` for ``signature`` with ``options``, its globals ``blocks``
    (name -> (block function, its signature)) compiled on their own and called by symbol, and
    ``extra_globals`` bound. The name it is cached under ends with a digest of its blocks' symbols.
    """
    calls, symbols = {}, []
    for global_name, (block, block_signature) in blocks.items():
        dispatcher = numba.njit(cache=options.get("cache", False), fastmath=FASTMATH, error_model=ERROR_MODEL)(block)
        calls[global_name], symbol = call_compiled(dispatcher, block_signature)
        symbols.append(symbol)
    if symbols:
        name = f"{name}_{symbols_digest(symbols)}"
    if calls or extra_globals or name != function.__qualname__:
        function = bind(function, name, **calls, **(extra_globals or {}))
    return numba.njit([signature], **options)(function)


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
