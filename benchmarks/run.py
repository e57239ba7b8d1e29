"""Benchmark suite: lossjit against NumPy, scikit-learn and PyTorch CPU, and against this machine's bandwidth.

Run ``make bench`` (or ``python benchmarks/run.py [--quick]``). Everything is
measured in one run, so the ratios compare like with like even on a busy
machine; absolute times are only as quiet as the machine was. Writes
``benchmarks/results/RESULTS.md``, ``results.json`` and ``speed.png``.
The parts live in ``benchmarks/suite/`` (measurement, peers, cases, catalogue two
against PyTorch, overheads, environment, report); see ``benchmarks/README.md``.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from suite import catalogue_two, cases, report
from suite.environment import environment
from suite.measure import MEMORY_ELEMENTS, bandwidth, best_memory_bandwidth
from suite.overheads import overheads
from suite.peers import torch

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset of sizes (a minute or two)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for the results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if torch is not None:
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    rng = np.random.default_rng(0)
    budget = 0.15 if args.quick else 0.4
    env = environment()
    print(f"{env['cpu']}, {env['usable_cpus']} CPUs, layer {env['threading_layer']}", flush=True)
    sizes = cases.QUICK_SIZES if args.quick else cases.POINTWISE_SIZES
    shapes = cases.QUICK_SHAPES if args.quick else cases.SOFTMAX_SHAPES
    bw = {}
    for dtype in cases.DTYPES:
        for n in sorted(set(sizes) | {a * b for a, b in shapes} | {MEMORY_ELEMENTS}):
            bw[(np.dtype(dtype).name, n)] = bandwidth(n, dtype, budget)
            print(f"bandwidth {np.dtype(dtype).name} {n:,}:",
                  {k: f"{v:.1f} GB/s" for k, v in bw[(np.dtype(dtype).name, n)].items()}, flush=True)
    rows = cases.run_all(sizes, shapes, budget, rng, args.quick)
    two = catalogue_two.run_all(budget, rng) if torch is not None else []  # issue 25: against torch only
    bw = best_memory_bandwidth(bw, rows)
    over = overheads(3 if args.quick else 7)
    checks = report.targets(rows, bw, over, two)
    report.write(args.out, env, bw, rows, over, checks, args.quick, two)
    for label, figure, ok in checks:
        print(f"{'met ' if ok else 'MISS'} {label}: {figure}")
    print(f"wrote {args.out / 'RESULTS.md'} and speed.png")


if __name__ == "__main__":
    main()
