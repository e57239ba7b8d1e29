"""Losses at scale on Dask (issue 23): MSE and binary cross-entropy over float32 data on disk.

Writes ``--n`` float32 targets (0/1 labels) and predictions (probabilities) as two .npy files in ``--dir``
(kept, and reused by the next run with the same ``--n``), then times each loss's value over both files:

* lossjit on a ``distributed.LocalCluster`` of one single-threaded worker per core, and of one worker
  (Numba's threads per worker: cores / workers);
* Dask's own expression of the loss on the same clusters: ``((p - y) ** 2).mean()``, and
  ``-(y * log(p) + (1 - y) * log(1 - p)).mean()`` with ``p`` clipped to [EPSILON, 1 - EPSILON] as lossjit does;
* lossjit with Dask's threaded scheduler in this process;
* lossjit in this process on the memory-mapped files, one call, without Dask.

Each block is read from the files where its task runs (:func:`from_npy`: a slice of a memory map, no
copy), so nothing but the blocks' sums crosses between processes. Each figure is the best of ``--repeats``
rounds in which every row takes its turn, after one untimed round (which loads the kernels on the workers
and the files into the page cache: with more RAM than data the runs read from memory, not the disk).
GB/s counts both inputs once. Not run in CI::

    python benchmarks/dask_scale.py                      # 1e9 elements: 8 GB in a temporary folder
    python benchmarks/dask_scale.py --n 2e8 --dir /data/lossjit-bench --chunk 16777216 --repeats 2
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import numba
import numpy as np
from distributed import Client, LocalCluster

import lossjit as lj

DTYPE = np.dtype(np.float32)


def write_inputs(folder, n, chunk, seed=0):
    """y_true.npy (0/1 labels) and y_pred.npy (probabilities in [0.01, 0.99]) of n float32 each, written a
    chunk at a time; existing files of that length are kept."""
    paths = {name: folder / f"{name}.npy" for name in ("y_true", "y_pred")}
    if all(path.exists() and np.load(path, mmap_mode="r").shape == (n,) for path in paths.values()):
        return paths
    rng = np.random.default_rng(seed)
    files = {name: np.lib.format.open_memmap(path, mode="w+", dtype=DTYPE, shape=(n,)) for name, path in paths.items()}
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        files["y_true"][start:start + size] = rng.random(size, dtype=DTYPE) < 0.5
        files["y_pred"][start:start + size] = rng.random(size, dtype=DTYPE) * DTYPE.type(0.98) + DTYPE.type(0.01)
    for file in files.values():
        file.flush()
    return paths


def from_npy(path, chunks):
    """A .npy file as a Dask array whose every block is read where its task runs: a memory map of the file,
    sliced (no copy; only the path is pickled). ``dask.array.from_array`` would copy the whole memory map
    into memory first (Dask >= 2024.12, dask/dask#11850). The README's recipe."""
    mapped = np.load(path, mmap_mode="r")

    def read(block_info=None):
        return np.load(path, mmap_mode="r")[tuple(slice(*where) for where in block_info[None]["array-location"])]

    return da.map_blocks(read, chunks=da.core.normalize_chunks(chunks, mapped.shape, dtype=mapped.dtype),
                         dtype=mapped.dtype, meta=np.empty((0,) * mapped.ndim, mapped.dtype))


def dask_mse(y, p):
    return ((p - y) ** 2).mean()


def dask_binary_cross_entropy(y, p):
    p = da.clip(p, DTYPE.type(lj.EPSILON), DTYPE.type(1 - lj.EPSILON))
    return -(y * da.log(p) + (1 - y) * da.log1p(-p)).mean()


LOSSES = {"mse": (lj.mse, dask_mse), "binary_cross_entropy": (lj.binary_cross_entropy, dask_binary_cross_entropy)}


def interleaved_best(runs, repeats):
    """{key: (best seconds, value)} of each of ``runs`` ({key: function}), taking turns round after round
    after one untimed round: on a shared machine a slow spell then hits every row alike."""
    values = {key: run() for key, run in runs.items()}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for key, run in runs.items():
            start = time.perf_counter()
            values[key] = run()
            best[key] = min(best[key], time.perf_counter() - start)
    return {key: (best[key], float(values[key])) for key in runs}


def clusters(sizes, cores):
    """{workers: Client} of a LocalCluster per size: single-threaded workers that run lossjit's kernels on
    cores / workers Numba threads each. The count is set in each worker's one task thread
    (``numba.set_num_threads`` holds for the thread that calls it), not through NUMBA_NUM_THREADS:
    distributed's ``pre-spawn-environ`` writes it into this process's environment too, where Numba's
    next compilation refuses a count that differs from its running threads'."""
    clients = {}
    for workers in sizes:
        client = Client(LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0"),
                        set_as_default=False)
        for address in client.scheduler_info()["workers"]:
            pinned = {"workers": [address], "allow_other_workers": False, "pure": False}
            client.submit(numba.set_num_threads, max(1, cores // workers), **pinned).result()
            assert client.submit(numba.get_num_threads, **pinned).result() == max(1, cores // workers)
        clients[workers] = client
    return clients


def main():
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e9, help="elements per array (default 1e9: 8 GB of files)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the .npy files (default: a temporary one)")
    parser.add_argument("--chunk", type=int, default=2**26, help="elements per Dask block (default 2**26: 256 MB)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds, after an untimed one")
    parser.add_argument("--workers", type=int, default=cores, help=f"workers of the large cluster (default {cores})")
    args = parser.parse_args()
    n = int(args.n)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="lossjit-dask-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{n:,} float32 elements per array in {folder}; {cores} cores; load average {os.getloadavg()}", flush=True)
    start = time.perf_counter()
    paths = write_inputs(folder, n, args.chunk)
    print(f"inputs ready in {time.perf_counter() - start:.0f} s", flush=True)

    def mapped():  # opened for each run, as the Dask tasks open their blocks: each run maps the pages anew
        return [np.load(paths[key], mmap_mode="r") for key in ("y_true", "y_pred")]

    y, p = (from_npy(paths[key], args.chunk) for key in ("y_true", "y_pred"))
    gigabytes = 2 * n * DTYPE.itemsize / 1e9
    sizes = tuple(dict.fromkeys((args.workers, 1)))
    clients = clusters(sizes, cores)
    rows = {}
    try:
        for name, (loss, expression) in LOSSES.items():
            runs = {("lossjit, one call on the memmaps", "-"): lambda: loss(*mapped()),
                    ("lossjit, Dask threads (this process)", "-"): lambda: loss(y, p, compute=False).compute(
                        scheduler="threads")}
            for workers, client in clients.items():
                numba_threads = max(1, cores // workers)
                runs[(f"lossjit, LocalCluster ({numba_threads} Numba thr.)", workers)] = \
                    lambda client=client: client.compute(loss(y, p, compute=False)).result()
                runs[("Dask's expression, LocalCluster", workers)] = \
                    lambda client=client: client.compute(expression(y, p)).result()
            for (engine, workers), (seconds, value) in interleaved_best(runs, args.repeats).items():
                rows[(name, engine, workers)] = (seconds, value)
                print(f"  {name:22} {engine:36} {workers!s:>3} {seconds:7.2f} s {gigabytes / seconds:7.2f} GB/s  "
                      f"{value:.7g}", flush=True)
    finally:
        for client in clients.values():
            cluster = client.cluster
            client.close()
            cluster.close()
    print(f"load average at the end {os.getloadavg()}")
    report(rows, sizes, gigabytes)


def report(rows, sizes, gigabytes):
    """The table (Markdown) and the issue's two targets."""
    print("\n| loss | engine | workers | seconds | GB/s |\n| --- | --- | ---: | ---: | ---: |")
    for (loss, engine, workers), (seconds, _) in rows.items():
        print(f"| {loss} | {engine} | {workers} | {seconds:.2f} | {gigabytes / seconds:.2f} |")
    seconds = {(loss, engine.split(" (")[0], workers): s for (loss, engine, workers), (s, _) in rows.items()}
    print()
    for loss in LOSSES:
        for workers in sizes:
            ratio = seconds[(loss, "Dask's expression, LocalCluster", workers)] / \
                seconds[(loss, "lossjit, LocalCluster", workers)]
            print(f"{loss}: lossjit {ratio:.2f}x Dask's expression at {workers} worker(s) (target >= 2x)")
        slower = seconds[(loss, "lossjit, LocalCluster", 1)] / seconds[(loss, "lossjit, one call on the memmaps", "-")]
        print(f"{loss}: lossjit at 1 worker {slower - 1:+.0%} against one call in one process (target within 20%)")


if __name__ == "__main__":
    main()
