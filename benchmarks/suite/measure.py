"""Timers and this machine's bandwidth.

Times are the best of several repeats (the least disturbed run), taken in rounds
that interleave the libraries compared (see ``best_times``). Bandwidth is
the bytes a loss must move (inputs read once, gradient written once) divided
by its time, compared with a STREAM-like kernel on the same number of
elements moving the same streams (triad ``a = b + s c`` for value+gradient and
for the per-element losses of ``reduction="none"``, a two-array read for the
value alone), so ``% bw`` is the share of what this
machine can move at that size (L2/L3 for small arrays, memory for large), and
with the same kernels on ``MEMORY_ELEMENTS`` elements, arrays far larger than
the last-level cache (STREAM's rule), so ``% mem`` is the share of the memory
bandwidth. The targets use the memory bandwidth; up to 1e7 elements the inputs
of a loss partly stay in cache, where ``% mem`` can pass 100%.
"""

import time

import numpy as np
from numba import njit, prange

MEMORY_ELEMENTS = 10**8  # STREAM-like kernels here measure the memory bandwidth (arrays of 0.4-0.8 GB each)


def best_times(functions, budget, rounds=4):
    """Best seconds per call of each of ``functions`` (name -> callable), timed in interleaved rounds.

    Timings on this shared VM drift by 20-30% within minutes. Every round gives each function its
    turn, so a slow spell hits all of them alike and the ratios within a run stay fair (timed one
    library after the other, a spell could land on one of them only). One warm-up call each, then
    about ``budget`` seconds per function over the rounds: at most 200 calls, at least one a round;
    functions slower than the budget get 2 rounds of one call.
    """
    first = {}
    for name, fn in functions.items():
        start = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - start
    if max(first.values()) > budget:
        rounds = 2
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, fn in functions.items():
            repeats = int(min(200 / rounds, max(1, budget / rounds / max(first[name], 1e-7))))
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def _copy(a, b):
    for i in prange(a.size):
        a[i] = b[i]


def _read2(b, c):
    total = 0.0
    for i in prange(b.size):
        total += b[i] + c[i]
    return total


# Parallel kernels, and serial twins: for small arrays one thread moves more than two (no thread start).
triad, copy, read2 = (njit(parallel=True)(f) for f in (_triad, _copy, _read2))
_serial_triad, _serial_copy, _serial_read2 = (njit(f) for f in (_triad, _copy, _read2))


def bandwidth(n, dtype, budget):
    """GB/s of triad (2 reads, 1 write), copy (1 read, 1 write) and read2 (2 reads) on n elements.

    Each is the better of the parallel (2 threads) and the serial kernel.
    """
    b = np.ones(n, dtype)
    c = np.ones(n, dtype)
    a = np.empty(n, dtype)
    s = dtype(0.5)
    size = b.itemsize * n

    def fastest(kernels, *args):
        return min(best_times({k: lambda kernel=kernel: kernel(*args) for k, kernel in enumerate(kernels)},
                              budget).values())
    return {
        "triad": 3 * size / fastest((triad, _serial_triad), a, b, c, s) / 1e9,
        "copy": 2 * size / fastest((copy, _serial_copy), a, b) / 1e9,
        "read2": 2 * size / fastest((read2, _serial_read2), b, c) / 1e9,
    }


def best_memory_bandwidth(bw, rows):
    """``bw`` with each STREAM figure on MEMORY_ELEMENTS elements raised to the best one timed with the
    pointwise rows of that size (triad with value+grad, read2 with the value)."""
    for row in rows:
        if row["n"] == MEMORY_ELEMENTS and row.get("stream"):
            figures = bw[(row["dtype"], MEMORY_ELEMENTS)]
            kind = "read2" if row["mode"] == "value" else "triad"
            figures[kind] = max(figures[kind], row["bytes"] / row["stream"] / 1e9)
    return bw
