"""Compile every kernel once, for each dtype, so later calls load from the cache.

Run ``python -m lossjit.warmup`` after installing (``make test`` and ``make lab``
do it first). Set ``NUMBA_CACHE_DIR`` to choose the cache folder.
"""

import sys
import time

import numba
import numpy as np

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD


def warm_up():
    """Call each loss's value, gradient and hessian once per dtype; returns seconds taken."""
    start = time.perf_counter()
    for dtype in (np.float32, np.float64):
        probabilities = np.full((2, 3), 0.25, dtype)
        labels = np.array([0, 2])
        lj.cross_entropy.value_and_grad(labels, probabilities, from_logits=True)
        lj.cross_entropy.value_and_grad(probabilities, probabilities)
        lj.cross_entropy(labels, probabilities, reduction="none")
        lj.cross_entropy(labels, probabilities, from_logits=True, class_weight=np.ones(3))  # the weighted mean
        lj.softmax_focal.value_and_grad(labels, probabilities, from_logits=True)
        lj.softmax_focal(probabilities, probabilities, reduction="none")
        maps = np.full((2, 3, 4), 0.25, dtype)
        lj.dice.value_and_grad(maps, maps)
        lj.dice(np.zeros((2, 4), np.int64), maps, from_logits=True, reduction="none")
        scores = np.full((3, 2, 3), -1.0, dtype)
        lj.ctc.value_and_grad(np.array([[1], [2]]), scores)
        lj.ctc(np.array([[1], [2]]), scores, from_logits=False, reduction="none")
        for loss in lj.losses.values():
            if not isinstance(loss, lj.PointwiseLoss):
                continue
            labels = np.ones(4, dtype)  # valid for every pointwise loss: a count, a label, a probability
            values = np.full(4, 0.5, dtype)
            loss.value_and_grad(labels, values)
            loss(labels, values)
            loss(labels, values, reduction="none")
            loss.hessian(labels, values)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"lossjit: compiling the kernels into the Numba cache ({numba.config.CACHE_DIR or 'next to the sources'}) "
          "takes a few minutes the first time; loading them from it, a few seconds", file=sys.stderr, flush=True)
    seconds = warm_up()
    print(f"lossjit kernels compiled or loaded from the cache in {seconds:.1f} s "
          f"(parallel above {PARALLEL_THRESHOLD} elements)")
