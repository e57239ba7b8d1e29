"""The pointwise and row losses of this checkout against another lossjit checkout, timed alternately in one run.

    git worktree add /tmp/old <commit>
    python benchmarks/side_by_side.py /tmp/old

Each side runs in processes of its own (this script again, with the side's checkout first on
``sys.path`` and a Numba cache of its own, warmed first), ``--rounds`` times in alternation; each row
keeps its best time over the rounds. Prints new / old per row (below 1: this checkout is faster), the
median and, by group, the median and range: cheap pointwise losses (arithmetic only) and costly ones (exp,
log), by size, for the value and for the value and gradient (written into ``out=``); and the row losses
(cross-entropy against class indices and against class probabilities, softmax focal, poly-1) by shape.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

from threshold import best  # beside this script

CHEAP = ("mse", "mae", "huber", "quantile", "smooth_l1", "hinge")
COSTLY = ("log_cosh", "binary_cross_entropy", "focal", "poisson", "kl_divergence")
SIZES = (1_000, 100_000, 1_000_000)
#: Row losses over (rows, classes) logits: (name, loss, options, whether y_true holds class probabilities).
ROWS = (("cross_entropy", "cross_entropy", {"from_logits": True}, False),
        ("cross_entropy_probabilities", "cross_entropy", {"from_logits": True}, True),
        ("softmax_focal", "softmax_focal", {"from_logits": True}, False),
        ("poly1_cross_entropy", "poly1_cross_entropy", {}, False))
SHAPES = ((100_000, 10), (1_000, 1_000))


def _inputs(name, n, dtype, rng):
    if name in ("binary_cross_entropy", "focal", "kl_divergence"):
        return rng.uniform(0.01, 0.99, n).astype(dtype), rng.uniform(0.01, 0.99, n).astype(dtype)
    if name == "poisson":
        return rng.poisson(2.0, n).astype(dtype), rng.normal(size=n).astype(dtype)
    if name == "hinge":
        return rng.choice([-1.0, 1.0], n).astype(dtype), rng.normal(size=n).astype(dtype)
    return rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)


def measure():
    """{row: seconds} for the lossjit first on sys.path."""
    import numpy as np

    import lossjit as lj

    rng = np.random.default_rng(0)
    times = {}
    for name in CHEAP + COSTLY:
        loss = lj.losses[name]
        for dtype in (np.float32, np.float64):
            for n in SIZES:
                y, p = _inputs(name, n, dtype, rng)
                grad = np.empty_like(p)
                repeats = max(5, min(2000, 3_000_000 // n))
                row = f"{name} {np.dtype(dtype).name} {n}"
                times[f"{row} value"] = best(lambda: loss(y, p), repeats)
                times[f"{row} value+grad"] = best(lambda: loss.value_and_grad(y, p, out=grad), repeats)
    for name, loss_name, options, probabilities in ROWS:
        if loss_name not in lj.losses:  # an older checkout: the rows both have are compared
            continue
        loss = lj.losses[loss_name]
        for dtype in (np.float32, np.float64):
            for n_rows, n_classes in SHAPES:
                logits = rng.normal(size=(n_rows, n_classes)).astype(dtype)
                labels = rng.integers(0, n_classes, n_rows)
                target = rng.dirichlet(np.ones(n_classes), n_rows).astype(dtype) if probabilities else labels
                grad = np.empty_like(logits)
                repeats = max(5, min(2000, 3_000_000 // logits.size))
                row = f"{name} {np.dtype(dtype).name} {n_rows}x{n_classes}"
                times[f"{row} value"] = best(lambda: loss(target, logits, **options), repeats)
                times[f"{row} value+grad"] = best(lambda: loss.value_and_grad(target, logits, out=grad, **options),
                                                  repeats)
    return times


def _side(checkout, cache, warm):
    environment = {**os.environ, "PYTHONPATH": str(checkout), "NUMBA_CACHE_DIR": str(cache)}
    if warm:
        subprocess.run([sys.executable, "-m", "lossjit.warmup"], env=environment, check=True, capture_output=True)
    result = subprocess.run([sys.executable, __file__, "--measure"], env=environment, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", nargs="?", help="the other lossjit checkout (a folder holding lossjit/)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure()))
        return
    if not options.old:
        parser.error("give the other checkout, e.g. a git worktree")
    sides = {"new": pathlib.Path(__file__).resolve().parents[1], "old": pathlib.Path(options.old).resolve()}
    with tempfile.TemporaryDirectory() as caches:
        runs = {side: [] for side in sides}
        for round_ in range(options.rounds):
            for side, checkout in sides.items():
                runs[side].append(_side(checkout, pathlib.Path(caches) / side, warm=round_ == 0))
    fastest = {side: {row: min(run[row] for run in side_runs) for row in side_runs[0]}
               for side, side_runs in runs.items()}
    ratios = {row: fastest["new"][row] / fastest["old"][row] for row in fastest["old"] if row in fastest["new"]}
    for row, ratio in sorted(ratios.items(), key=lambda item: -item[1]):
        print(f"{ratio:5.2f}  {row}  ({fastest['new'][row] * 1e6:.1f} against {fastest['old'][row] * 1e6:.1f} us)")
    print(f"median {statistics.median(ratios.values()):.3f} over {len(ratios)} rows; "
          f"{sum(r <= 1.05 for r in ratios.values())} within 5% or faster")
    groups = [(what, group, names, str(n), f"{n:,}") for what in ("value", "value+grad")
              for group, names in (("cheap", CHEAP), ("costly", COSTLY)) for n in SIZES]
    groups += [(what, "rows", [name for name, *_ in ROWS], f"{n_rows}x{n_classes}", f"{n_rows:,} x {n_classes:,}")
               for what in ("value", "value+grad") for n_rows, n_classes in SHAPES]
    for what, group, names, size, label in groups:
        group_ratios = [r for row, r in ratios.items() if row.endswith(f" {what}")
                        and row.split()[0] in names and row.split()[2] == size]
        if not group_ratios:
            continue
        print(f"{what:10} {group:6} {label:>13}: median {statistics.median(group_ratios):.2f} "
              f"({min(group_ratios):.2f}-{max(group_ratios):.2f})")


if __name__ == "__main__":
    main()
