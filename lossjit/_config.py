"""Settings shared by every kernel; the one place to tune them."""

#: Numba fastmath flags for all kernels. Only reassociation (so reductions
#: vectorise) and fused multiply-add contraction: never ``True``, whose
#: ``nnan``/``ninf`` flags would let LLVM drop NaN and infinity handling.
FASTMATH = {"reassoc", "contract"}

#: Numba fastmath flags of ``vector_math.py``'s functions (exp, log, log1p, sinh), whose accuracy in ulps the tests
#: bound: contraction only. Reassociation would let LLVM reorder a polynomial's terms and a range reduction's
#: subtractions as the target CPU's scheduling model prefers, so their error would depend on the machine: float64
#: log1p was 3.4 ulp off on AMD Zen 3 with it, 2.7 without. A loop that calls them keeps ``FASTMATH`` for its own
#: operations, its sums among them.
EXACT_FASTMATH = {"contract"}

#: Numba error model for all kernels. "numpy": a float division by zero gives
#: inf or NaN as in NumPy. Numba's default ("python") checks every division
#: for zero to raise ZeroDivisionError, and that branch stops LLVM from
#: vectorising any loop with a division in it.
ERROR_MODEL = "numpy"

#: Numba options of a function that only compiled code calls (a helper, or a block called through its
#: address): the shared ``fastmath`` and ``error_model``, and none of the two wrappers Numba otherwise builds
#: so that Python and C can call it. Each wrapper is code that LLVM optimises and compiles: without them a small
#: helper compiles in about half the time (a cold ``lj.binary_cross_entropy``, whose vector maths has a dozen
#: helpers: 1.98 -> 1.50 s).
CALLEE = {"fastmath": FASTMATH, "error_model": ERROR_MODEL, "no_cpython_wrapper": True, "no_cfunc_wrapper": True}

#: ``CALLEE`` with ``EXACT_FASTMATH``: the options of ``vector_math.py``'s functions.
EXACT_CALLEE = {**CALLEE, "fastmath": EXACT_FASTMATH}

#: Numba options of a small or single-use helper that Numba inlines into its caller (``inline="always"``): it is
#: compiled as part of the caller, instead of on its own and then once more as part of each caller that links it
#: (LLVM optimises a callee again inside every compiled caller: a wrapper around a row function cost as much as
#: the function). Numba runs the helper's front end again at every call site, so a helper called at several places
#: of one function is ``CALLEE`` instead, which LLVM inlines (CTC's log-add-exp: ``_kernels/ctc.py``).
INLINE = {"inline": "always", "fastmath": FASTMATH, "error_model": ERROR_MODEL}

#: Numba options of a kernel that Python calls: the shared ``fastmath`` and ``error_model``, and no wrapper
#: for calls from C (see ``CALLEE``).
KERNEL = {"fastmath": FASTMATH, "error_model": ERROR_MODEL, "no_cfunc_wrapper": True}

#: Most parameters a pointwise loss's element function may have (``lj.pointwise_loss``): its element loops are
#: generated for each number up to this (``_kernels/generate_element_loops.py``).
MAX_PARAMETERS = 6

#: Elements per reduction block. Partial sums over fixed blocks, added in
#: block order, make every reduction bitwise identical at any thread count.
BLOCK_SIZE = 4096

#: Below this many elements a kernel runs serially: starting the thread pool
#: costs more than the work (measured by ``benchmarks/threshold.py``: on the
#: idle 2-core machine parallel mse value+grad is 1.2x faster from 16,384
#: (float64) and 32,768 (float32) elements, and faster at every size above).
#:
#: Numba freezes these constants into the compiled kernels, and its cache keys
#: on the kernel file's contents only: after changing one, empty
#: ``NUMBA_CACHE_DIR`` (or ``__pycache__``) and run ``python -m lossjit.warmup``.
PARALLEL_THRESHOLD = 32768

#: Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` before a log (as
#: Keras does), so a confident wrong prediction costs ``-log(EPSILON)`` ~ 16.1
#: instead of infinity.
EPSILON = 1e-7
