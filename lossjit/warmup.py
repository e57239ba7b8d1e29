"""Compile every kernel once, for each dtype, so later calls load from the cache.

Run ``python -m lossjit.warmup`` after installing (``make test`` and ``make lab``
do it first). The cache is Numba's: ``__pycache__`` beside lossjit's sources
when that folder is writeable (so every program using this copy of lossjit
finds it), or ``NUMBA_CACHE_DIR`` when set. Each loss's kernel compiles in
about a second; the command prints each loss as it is done.

Numba compiles on one core, so with two or more CPUs the command warms float32
and float64 in two processes at once (``--jobs``). Numba's cache files are not safe when
two processes save overloads of one function at the same moment: both can pick
the same data file, and the index may then name another overload's code (numba
issue #10128). So every warm-up process holds one file lock around each read
and write of the cache (:func:`cache_lock`).
"""

import argparse
import contextlib
import functools
import multiprocessing
import os
import sys
import tempfile
import time

import numba
import numpy as np
from numba.core import caching

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels.typed import compile_parallel_kernels
from lossjit._validation import count_outside

DTYPES = {"float32": np.float32, "float64": np.float64}

try:
    import fcntl
except ImportError:  # not POSIX: no lock, so one process
    fcntl = None


def _row_loss_calls(dtype):
    """{name: [(arrays, options)]}: for each loss that is not pointwise, calls that run each of its compiled paths
    (a block per kind of input or target; the weighted mean; per-row losses), each with and without the gradient."""
    probabilities = np.full((2, 3), 1 / 3, dtype)
    scores = np.array([[0.5, -0.5, 0.25], [0.0, 1.0, -1.0]], dtype)
    labels = np.array([0, 2])
    maps = np.full((2, 3, 4), 0.25, dtype)
    ctc_scores = np.full((3, 2, 3), -1.0, dtype)
    spread = np.ones(2, dtype)
    logits = {"from_logits": True}
    none = {"reduction": "none"}
    return {
        "cross_entropy": [((labels, probabilities), logits), ((probabilities, probabilities), {}),
                          ((labels, probabilities), none),
                          ((labels, probabilities), {**logits, "class_weight": np.ones(3)})],  # the weighted mean
        "softmax_focal": [((labels, probabilities), logits), ((labels, probabilities), {}),
                          ((probabilities, probabilities), none)],
        "sequence_cross_entropy": [((labels.reshape(1, 2), probabilities.reshape(1, 2, 3)), {})],
        "dice": [((maps, maps), {}), ((np.zeros((2, 4), np.int64), maps), {**logits, **none})],
        "ctc": [((np.array([[1], [2]]), ctc_scores), {}),
                ((np.array([[1], [2]]), ctc_scores), {"from_logits": False, **none}),
                ((np.array([[1, 1], [2, 2]]), ctc_scores[:2]), {})],  # infeasible in 2 steps: the log-space block
        "gaussian_nll": [((probabilities, scores, spread), {})],
        "laplace_nll": [((probabilities, scores, spread), {})],
        "multi_margin": [((labels, scores), {})],
        "crammer_singer": [((labels, scores), {})],
        "categorical_hinge": [((labels, scores), {}), ((probabilities, scores), {})],
        "poly1_cross_entropy": [((labels, scores), {}), ((probabilities, scores), {})],
        "sparsemax_loss": [((labels, scores), {}), ((probabilities, scores), {})],
        "tversky": [((maps, maps), {})],
        "margin_ranking": [((np.array([1.0, -1.0], dtype), spread, spread), {})],
        "pairwise_logistic": [((probabilities, scores), {})],
        "ranking_softmax": [((probabilities, scores), {})],
        "triplet_margin": [((scores, probabilities, -scores), {})],
        "contrastive": [((np.array([1, 0]), scores, probabilities), {})],
        "cosine_embedding": [((np.array([1, -1]), scores, probabilities), {})],
        "info_nce": [((scores, probabilities), {}), ((scores, probabilities), {"symmetric": True})],
        "ntxent": [((scores, probabilities), {})],
    }


def _warm_rows(loss, dtype):
    """Each compiled path of a loss that is not pointwise (:func:`_row_loss_calls`)."""
    calls = _row_loss_calls(dtype)
    if loss.name not in calls:
        raise AssertionError(f"the warm-up has no call of {loss.name}: add it to _row_loss_calls")
    for arrays, options in calls[loss.name]:
        loss.value_and_grad(*arrays, **options)
        loss(*arrays, **options)  # the value alone: cross-entropy's labelled logits have a block of their own


def _pointwise_arrays(loss, dtype, options):
    """(y_true, y_pred) of four elements valid for every pointwise loss with ``options``: y_true a count, a label
    and a probability at once; y_pred a probability, or a log-probability (<= 0) where log_input is on."""
    log_input = options.get("log_input", loss.options.get("log_input", False))
    return np.ones(4, dtype), np.full(4, -0.5 if log_input else 0.5, dtype)


def first_call(loss, dtype):
    """(arrays, options) of the warm-up's first call of ``loss`` in ``dtype``: the call whose cold first run
    ``benchmarks/cold_calls.py`` times."""
    if isinstance(loss, lj.PointwiseLoss):
        return _pointwise_arrays(loss, dtype, {}), {}
    return _row_loss_calls(dtype)[loss.name][0]


def _warm_pointwise(loss, dtype):
    """Each kind of element loops of ``loss`` (:mod:`lossjit._kernels.pointwise`), for each of its kernels: a flag
    such as from_logits or log_input picks another one."""
    weights = np.ones(4, dtype)
    flags = [name for name, default in loss.options.items() if isinstance(default, bool)]
    for options in [{}] + [{name: not loss.options[name]} for name in flags]:
        labels, values = _pointwise_arrays(loss, dtype, options)
        loss.value_and_grad(labels, values, **options)  # the sums of a cheap loss (or losses and gradients)
        loss.value_and_grad(labels, values, sample_weight=weights, **options)  # losses and gradients
        loss(labels, values, reduction="none", **options)  # losses
        loss.hessian(labels, values, **options)  # second derivatives


def warm_up(dtypes=tuple(DTYPES), progress=None):
    """Compile (or load) every loss's kernels for each dtype (names of ``DTYPES``), one loss at a time;
    ``progress(text)`` hears of each. Returns the seconds taken."""
    start = time.perf_counter()
    steps = [(loss, dtype) for dtype in dtypes for loss in lj.losses.values() if loss.name in lj.BUILT_IN]
    for done, (loss, dtype) in enumerate(steps, 1):
        warm = _warm_pointwise if isinstance(loss, lj.PointwiseLoss) else _warm_rows
        warm(loss, DTYPES[dtype])
        if progress:
            progress(f"{done}/{len(steps)} {loss.name} {dtype}, {time.perf_counter() - start:.1f} s")
    for dtype in dtypes:  # what large inputs run (the small calls above take the serial code)
        count_outside[DTYPES[dtype]]  # the parallel [0, 1] check
        large = np.full(PARALLEL_THRESHOLD, 0.5, DTYPES[dtype])
        lj.mse(large, large)  # the pointwise losses' parallel driver
    compile_parallel_kernels()  # those of the other losses
    return time.perf_counter() - start


def _print_progress(text):
    print(f"lossjit warm-up: {text}", file=sys.stderr, flush=True)


def _lock_path():
    """One lock file per user, shared by every warm-up process of that user."""
    return os.path.join(tempfile.gettempdir(), f"lossjit-warmup-{os.getuid()}.lock")


@contextlib.contextmanager
def cache_lock(path=None):
    """Within the block, Numba reads and writes a cache entry (index and data file) only while holding
    an exclusive ``flock`` on ``path``, so concurrent warm-up processes see and leave whole entries.
    Without ``fcntl`` (not POSIX) it does nothing, and the warm-up runs in one process."""
    if fcntl is None:
        yield
        return
    path = path or _lock_path()

    def locked(method):
        @functools.wraps(method)
        def hold_lock(self, *args):
            with open(path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                return method(self, *args)  # closing the file releases the lock
        return hold_lock

    cache_file = caching.IndexDataCacheFile
    original = cache_file.save, cache_file.load
    cache_file.save, cache_file.load = locked(original[0]), locked(original[1])
    try:
        yield
    finally:
        cache_file.save, cache_file.load = original


def default_jobs():
    """Processes for the warm-up: one per dtype, at most one per usable CPU; one without ``flock``."""
    if fcntl is None:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(len(DTYPES), cpus))


def _locked_warm_up(dtypes):
    with cache_lock():
        return warm_up(dtypes, _print_progress)


def _warm_up_in_processes(dtype_groups):
    """Each group of dtypes warmed in a process of its own, all at once. Spawned, not forked (a fork
    would copy this process's LLVM and thread state); plain processes, not a pool, whose workers
    outlive a killed parent waiting for work: these finish their group and exit."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_locked_warm_up, args=(group,), name=f"lossjit warm-up {'+'.join(group)}")
               for group in dtype_groups]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    failed = [worker.name for worker in workers if worker.exitcode != 0]
    if failed:  # each printed its traceback
        raise SystemExit(f"lossjit: {', '.join(failed)} failed")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lossjit.warmup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", action="append", choices=tuple(DTYPES),
                        help="warm only this dtype (repeatable; default: all)")
    parser.add_argument("--jobs", type=int, default=None,
                        help=f"processes, one per dtype at most (default here: {default_jobs()})")
    options = parser.parse_args(argv)
    dtypes = tuple(dict.fromkeys(options.dtype or DTYPES))
    jobs = min(len(dtypes), default_jobs() if options.jobs is None else options.jobs)
    if jobs < 1 or (jobs > 1 and fcntl is None):
        parser.error(f"--jobs must be 1{'' if fcntl is None else ' or more'} here, got {jobs}")
    print(f"lossjit: compiling the kernels into the Numba cache ({numba.config.CACHE_DIR or 'next to the sources'}) "
          f"in {jobs} process(es): under a minute the first time, a few seconds after", file=sys.stderr, flush=True)
    start = time.perf_counter()
    if jobs > 1:
        _warm_up_in_processes([dtypes[i::jobs] for i in range(jobs)])
    else:
        _locked_warm_up(dtypes)
    print(f"lossjit kernels compiled or loaded from the cache in {time.perf_counter() - start:.1f} s "
          f"(parallel above {PARALLEL_THRESHOLD} elements)")


if __name__ == "__main__":
    main()
