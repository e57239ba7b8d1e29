"""Calling a block function's compiled code from a kernel without compiling it again.

When a Numba function calls another, Numba links a copy of the callee's LLVM code into the caller's
module, and LLVM optimises and compiles it again there. A kernel with ``prange`` builds four modules
(the kernel, the loop body as a "gufunc" and two wrappers around it), each holding the loop body's
callees: the block function that does a kernel's work was optimised and compiled five times, most of
a cold kernel's compile time (``benchmarks/README.md``).

:func:`call_compiled` compiles the block function on its own, with one signature and Numba's on-disk
cache, and returns an intrinsic that calls that code by its symbol name: a kernel compiled with it
holds a call, not a copy. The compiled block must be in the process before the kernel runs (it is:
:class:`.typed.PerDtype` loads it first), and the kernel must name the same symbol, which carries a
per-process counter. So a kernel is compiled, and cached, under a name that includes a digest of its
blocks' symbols (:func:`symbols_digest`): a kernel in the cache always calls the block code that was
loaded beside it. With ``NUMBA_DISABLE_JIT=1`` the block is called as Python.
"""

import hashlib

import numba
from numba.core import cgutils, types
from numba.extending import intrinsic


def call_compiled(dispatcher, signature):
    """``(call, symbol)``: an intrinsic that njit code calls like ``dispatcher``, with arguments of
    ``signature``'s types (Numba casts to them), running the code ``dispatcher`` compiled for
    ``signature`` (compiled or loaded from the cache here); and that code's symbol name."""
    if numba.config.DISABLE_JIT:
        return dispatcher, ""
    dispatcher.compile(signature)
    callee = dispatcher.overloads[signature.args].fndesc

    @intrinsic
    def call(typingctx, *args):
        if len(args) != len(signature.args):
            return None

        def codegen(context, builder, call_signature, packed):
            # Numba passes *args packed in one tuple
            values = [context.cast(builder, value, actual, declared)
                      for value, actual, declared in zip(cgutils.unpack_tuple(builder, packed[0]),
                                                         call_signature.args[0].types, signature.args)]
            return context.call_internal(builder, callee, signature, values)

        return signature.return_type(types.StarArgTuple.from_types(args)), codegen

    call.compiled = dispatcher  # the code it calls lives as long as the kernels that call it
    return call, callee.mangled_name


def symbols_digest(symbols):
    """8 hex digits naming a set of callee symbols, for the name a kernel is cached under."""
    return hashlib.sha256("\n".join(symbols).encode()).hexdigest()[:8]
