"""Where parallel kernels start to beat serial ones: the measurement behind PARALLEL_THRESHOLD.

Times the pointwise value+gradient kernel (mse, float64 and float32) at sizes
around the crossover twice: once with the threshold forced to infinity (always
serial) and once forced to 0 (always parallel), by compiling private copies of
the kernel with each setting.
Prints the times and the smallest size from which parallel stays faster::

    python benchmarks/threshold.py
"""

import time

import numpy as np

SIZES = [2**k for k in range(12, 21)]  # 4,096 to 1,048,576 elements


def mse_kernels(threshold):
    """lossjit's mse value+gradient kernel per dtype, compiled with PARALLEL_THRESHOLD = threshold."""
    from lossjit.regression import _MSE
    return {dtype: _MSE.with_threshold(dtype, threshold) for dtype in (np.float32, np.float64)}


def best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    from lossjit._kernels.pointwise import SUM_AND_GRAD
    serial = mse_kernels(2**62)
    parallel = mse_kernels(0)
    rng = np.random.default_rng(0)
    crossover = {}
    for dtype in (np.float32, np.float64):
        print(f"{np.dtype(dtype).name}: elements, serial us, parallel us, serial/parallel")
        faster_from = None
        for n in SIZES:
            y = rng.standard_normal(n).astype(dtype)
            p = rng.standard_normal(n).astype(dtype)
            grad = np.empty_like(p)
            weights = np.empty(0, dtype)
            scale = dtype(1.0 / n)
            repeats = max(20, 2_000_000 // n)
            times = []
            for kernels in (serial, parallel):
                times.append(best(lambda: kernels[dtype](SUM_AND_GRAD, y, p, weights, 1, weights, scale, grad), repeats))
            ratio = times[0] / times[1]
            print(f"  {n:>9,} {times[0] * 1e6:9.1f} {times[1] * 1e6:9.1f} {ratio:6.2f}", flush=True)
            if ratio > 1.1 and faster_from is None:
                faster_from = n
            elif ratio <= 1.1:
                faster_from = None
        crossover[np.dtype(dtype).name] = faster_from
    print(f"parallel is >10% faster from (and stays faster above): {crossover}")
    from lossjit._config import PARALLEL_THRESHOLD
    print(f"PARALLEL_THRESHOLD is now {PARALLEL_THRESHOLD}")


if __name__ == "__main__":
    main()
