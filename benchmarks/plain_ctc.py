"""What compiling CTC costs in Numba at all: a plain, textbook CTC kernel against the issue's yardstick and a cold
``lj.ctc``, each a fresh process with an empty Numba cache.

    .venv/bin/python benchmarks/plain_ctc.py --rounds 3

Issue 20 asks for every loss's cold first call within 2x the yardstick, a plain parallel MSE value and gradient.
CTC is a dynamic programme over time steps and states, and its plainest Numba kernel (:func:`ctc_values`: the
log-softmax, then the log-space forward recursion with libm's exp and log1p; the value only, no input checks) already
costs more than MSE to compile. Each round times the yardstick, ``lj.ctc``'s first call (the warm-up's, as
``cold_calls.py`` does), and that kernel compiled serially and with ``parallel=True``, one right after the other; the
table gives the median seconds and the median ratio to the yardstick of the same round. ``lj.ctc`` also checks its
input and runs the scaled recursions with vectorised exp and log (2x faster than libm's), the gradient's code paths
beside them.
"""

import argparse
import math
import os
import statistics
import sys

import numpy as np
from numba import njit, prange

from cold_calls import LOSS, YARDSTICK, first_call_seconds

FASTMATH = {"reassoc", "contract"}


@njit(cache=True, fastmath=FASTMATH)
def log_add_exp(a, b):
    """log(exp(a) + exp(b)); exact when either is -inf."""
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log1p(math.exp(low - high))


def ctc_values(logits, targets, target_lengths, input_lengths, blank):
    """-log p(l_n | x_n) per sample of (T, N, C) logits, by the textbook log-space forward recursion (Graves et al.,
    2006): the reference kernel, not lossjit's."""
    n_classes = logits.shape[2]
    losses = np.empty(logits.shape[1])
    for n in prange(logits.shape[1]):
        n_steps, n_states = input_lengths[n], 2 * target_lengths[n] + 1
        log_probs = np.empty((n_steps, n_classes))
        for t in range(n_steps):
            peak = logits[t, n].max()
            total = 0.0
            for k in range(n_classes):
                total += math.exp(logits[t, n, k] - peak)
            for k in range(n_classes):
                log_probs[t, k] = logits[t, n, k] - peak - math.log(total)
        extended = np.full(n_states, blank)
        for s in range(1, n_states, 2):
            extended[s] = targets[n, s // 2]
        alpha = np.full(n_states, -np.inf)
        alpha[0] = log_probs[0, blank]
        if n_states > 1:
            alpha[1] = log_probs[0, extended[1]]
        for t in range(1, n_steps):
            previous = alpha.copy()
            for s in range(n_states):
                a = previous[s]
                if s >= 1:
                    a = log_add_exp(a, previous[s - 1])
                if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
                    a = log_add_exp(a, previous[s - 2])
                alpha[s] = a + log_probs[t, extended[s]]
        log_likelihood = alpha[n_states - 1]
        if n_states > 1:
            log_likelihood = log_add_exp(log_likelihood, alpha[n_states - 2])
        losses[n] = -log_likelihood
    return losses


_FOLDER = os.path.dirname(os.path.abspath(__file__))  # where the timed programs import this module from

#: The program timed for ``parallel`` "True" or "False": the kernel's first call on the warm-up's CTC input.
PLAIN = """
import sys
import time
sys.path.insert(0, {folder!r})
import numpy as np
from numba import njit
import plain_ctc

kernel = njit(cache=True, fastmath=plain_ctc.FASTMATH, parallel={parallel})(plain_ctc.ctc_values)
start = time.perf_counter()
kernel(np.full((3, 2, 3), -1.0), np.array([[1], [2]]), np.array([1, 1]), np.array([3, 3]), 0)
print(time.perf_counter() - start)
"""

#: The rows of a round, in the order they run: name and (program, arguments).
PROGRAMS = {
    "yardstick": (YARDSTICK, ()),
    "lj.ctc, float64": (LOSS, ("ctc", "float64")),
    "plain CTC kernel, serial": (PLAIN.format(folder=_FOLDER, parallel=False), ()),
    "plain CTC kernel, parallel": (PLAIN.format(folder=_FOLDER, parallel=True), ()),
}


def table(rounds):
    """The report's lines from ``rounds``, a list of {row name: seconds}."""
    lines = [f"{'first call':28s}{'median s':>10s}{'x yardstick':>13s}"]
    for name in PROGRAMS:
        ratios = [times[name] / times["yardstick"] for times in rounds]
        lines.append(f"{name:28s}{statistics.median(times[name] for times in rounds):10.2f}"
                     f"{statistics.median(ratios):13.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {options.rounds}")
    rounds = []
    for number in range(1, options.rounds + 1):
        rounds.append({name: first_call_seconds(program, *arguments) for name, (program, arguments) in PROGRAMS.items()})
        print(f"round {number}/{options.rounds}: " + ", ".join(f"{name} {seconds:.2f} s"
                                                               for name, seconds in rounds[-1].items()),
              file=sys.stderr, flush=True)
    print("\n".join(table(rounds)))


if __name__ == "__main__":
    main()
