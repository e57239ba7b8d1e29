"""Settings shared by every kernel; the one place to tune them."""

#: Numba fastmath flags for all kernels. Only reassociation (so reductions
#: vectorise) and fused multiply-add contraction: never ``True``, whose
#: ``nnan``/``ninf`` flags would let LLVM drop NaN and infinity handling.
FASTMATH = {"reassoc", "contract"}

#: Elements per reduction block. Partial sums over fixed blocks, added in
#: block order, make every reduction bitwise identical at any thread count.
BLOCK_SIZE = 4096

#: Below this many elements a kernel runs serially: starting the thread pool
#: costs more than the work (measured by ``benchmarks/threshold.py``).
PARALLEL_THRESHOLD = 65536

#: Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` before a log (as
#: Keras does), so a confident wrong prediction costs ``-log(EPSILON)`` ~ 16.1
#: instead of infinity.
EPSILON = 1e-7
