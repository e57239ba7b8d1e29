"""A kernel calls its block function's compiled code through the block's address.

When a Numba function calls another, Numba links a copy of the callee's code into the caller's
module, and LLVM optimises and compiles it again there. A kernel with ``prange`` builds four modules
(the kernel, the loop body as a "gufunc" and two wrappers around it), each with the loop body's
callees in it: the block function that does a kernel's work was optimised and compiled five times,
most of a cold kernel's compile time (``benchmarks/README.md``).

So the block is compiled on its own, once, with Numba's on-disk cache (:func:`address_of` gives the
address of its code in this process), and the kernel takes that address as an argument and calls it
through a pointer (:func:`call_at`): the kernel holds a call, not a copy. Since a kernel names no
particular block, one kernel serves every block of the same signature: the pointwise losses of one
dtype share one driver, which calls each loss's element loops the same way. A block calls a big helper the
same way when the kernel passes it the helper's address (:meth:`.typed.PerDtype.address`; CTC's recursions). With
``NUMBA_DISABLE_JIT=1`` the "address" is the Python function, and the call calls it.
"""

import numba
from numba.core import cgutils, types
from numba.core.typing.templates import Signature
from numba.extending import intrinsic

#: The Numba type of an address argument.
ADDRESS = types.intp


def address_of(dispatcher, signature):
    """The address of ``dispatcher``'s code for ``signature``, compiled or loaded from the cache here.
    The code lives as long as ``dispatcher``: keep it."""
    if numba.config.DISABLE_JIT:
        return dispatcher
    if signature.args not in dispatcher.overloads:
        dispatcher.compile(signature)
    compiled = dispatcher.overloads[signature.args]
    return compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)


def call_at(signature):
    """``call(address, *args)`` for njit code: runs the function of ``signature`` whose compiled code is
    at ``address`` (from :func:`address_of`), with ``args`` cast to ``signature``'s types. ``signature`` may
    also be a function of the arguments' Numba types that returns it (a callee compiled once per dtype)."""
    if numba.config.DISABLE_JIT:
        return _call_python

    @intrinsic
    def call(typingctx, address, *args):
        declared = signature if isinstance(signature, Signature) else signature(args)
        if not isinstance(address, types.Integer) or len(args) != len(declared.args) or any(
                typingctx.can_convert(actual, wanted) is None for actual, wanted in zip(args, declared.args)):
            return None

        def codegen(context, builder, call_signature, values):
            address_value, packed = values  # Numba passes *args packed in one tuple
            arguments = [context.cast(builder, value, actual, wanted)
                         for value, actual, wanted in zip(cgutils.unpack_tuple(builder, packed),
                                                            call_signature.args[1].types, declared.args)]
            function_type = context.call_conv.get_function_type(declared.return_type, declared.args)
            function = builder.inttoptr(address_value, function_type.as_pointer())
            status, result = context.call_conv.call_function(builder, function, declared.return_type,
                                                             declared.args, arguments)
            with cgutils.if_unlikely(builder, status.is_error):
                context.call_conv.return_status_propagate(builder, status)
            return result

        return declared.return_type(address, types.StarArgTuple.from_types(args)), codegen

    return call


def _call_python(function, *args):
    return function(*args)
