"""Each built-in loss's cold first call, against the yardstick of issue 20: a plain ``@njit(parallel=True)`` fused MSE
value and gradient, compiled in the same round.

    .venv/bin/python benchmarks/cold_calls.py                                  # every loss, both dtypes, one round
    .venv/bin/python benchmarks/cold_calls.py --losses ctc cross_entropy --dtypes float64 --rounds 3

Each figure is a fresh Python process with an empty Numba cache (a temporary ``NUMBA_CACHE_DIR`` of its own): the
yardstick times its kernel's first call, a loss's process imports lossjit and then times the loss's first call on
the warm-up's small inputs (``lossjit/warmup.py``: the serial kernel and the block of that call compile). The
yardstick runs right before each loss, and a ratio divides the loss's time by that yardstick's: the machine's speed
drifts within minutes (by 20-40% on a shared one), and a yardstick timed once per round of a few minutes gave ratios
that moved with the drift. The table gives, per loss and dtype, the median time and the median and largest ratio
over the rounds; the issue's target is a ratio of at most 2 for every loss.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import lossjit as lj
from lossjit.warmup import DTYPES

TARGET_RATIO = 2.0

YARDSTICK = """
import time
import numpy as np
from numba import njit, prange

start = time.perf_counter()


@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def mse_value_and_grad(y, p, grad):
    total = 0.0
    for i in prange(y.size):
        difference = p[i] - y[i]
        grad[i] = 2.0 * difference / y.size
        total += difference * difference
    return total / y.size


mse_value_and_grad(np.ones(10), np.ones(10), np.empty(10))
print(time.perf_counter() - start)
"""

LOSS = """
import sys
import time
import lossjit as lj
from lossjit import warmup

loss = lj.losses[sys.argv[1]]
arrays, options = warmup.first_call(loss, warmup.DTYPES[sys.argv[2]])
start = time.perf_counter()
loss(*arrays, **options)
print(time.perf_counter() - start)
"""


def first_call_seconds(program, *arguments):
    """The seconds ``program`` prints, run from a file (Numba caches only functions with a source file) in a fresh
    process with an empty Numba cache of its own."""
    with tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "first_call.py")
        with open(script, "w") as file:
            file.write(program)
        result = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True, check=True,
                                env={**os.environ, "NUMBA_CACHE_DIR": os.path.join(folder, "numba-cache")})
    return float(result.stdout.split()[-1])


def measure(losses, dtypes, rounds, progress=None):
    """{(loss, dtype): [(seconds, the seconds of the yardstick run right before) per round]}."""
    pairs = {(loss, dtype): [] for loss in losses for dtype in dtypes}
    for round_number in range(1, rounds + 1):
        for loss, dtype in pairs:
            yardstick = first_call_seconds(YARDSTICK)
            pairs[loss, dtype].append((first_call_seconds(LOSS, loss, dtype), yardstick))
            if progress:
                progress(f"round {round_number}/{rounds}: {loss} {dtype} {pairs[loss, dtype][-1][0]:.2f} s "
                         f"(yardstick {yardstick:.2f} s)")
    return pairs


def table(pairs):
    """The report's lines: the yardstick, then one line per loss and dtype, then a summary."""
    yardsticks = [yardstick for runs in pairs.values() for _, yardstick in runs]
    lines = [f"yardstick (plain parallel MSE value+grad), before each loss: median "
             f"{statistics.median(yardsticks):.2f} s, {min(yardsticks):.2f}-{max(yardsticks):.2f} s",
             f"{'loss':24s}{'dtype':>9s}{'median s':>10s}{'median x':>10s}{'largest x':>11s}"]
    medians, largest = [], []
    for (loss, dtype), runs in pairs.items():
        ratios = [seconds / yardstick for seconds, yardstick in runs]
        medians.append(statistics.median(ratios))
        largest.append(max(ratios))
        lines.append(f"{loss:24s}{dtype:>9s}{statistics.median(seconds for seconds, _ in runs):10.2f}"
                     f"{medians[-1]:10.2f}{largest[-1]:11.2f}")
    lines.append(f"at most {TARGET_RATIO:g}x the yardstick: {sum(r <= TARGET_RATIO for r in medians)} of "
                 f"{len(medians)} by the median, {sum(r <= TARGET_RATIO for r in largest)} in every round")
    return lines


def main(argv=None):
    built_in = [name for name in lj.losses if name in lj.BUILT_IN]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--losses", nargs="+", choices=built_in, default=built_in, metavar="LOSS",
                        help="built-in losses to time (default: all)")
    parser.add_argument("--dtypes", nargs="+", choices=tuple(DTYPES), default=list(DTYPES))
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {options.rounds}")
    pairs = measure(options.losses, options.dtypes, options.rounds,
                    lambda text: print(text, file=sys.stderr, flush=True))
    print("\n".join(table(pairs)))


if __name__ == "__main__":
    main()
