"""A kernel calls its block function's compiled code by symbol (``lossjit/_kernels/calls.py``): in a new
process both load from Numba's cache, and a kernel never calls a block compiled under another symbol."""

import json
import os
import pathlib
import subprocess
import sys

import numba
import pytest

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")

# Each run: an unrelated function compiled first (when asked) shifts the counter in the symbols of
# the functions Numba compiles after it; then values of a pointwise and a row loss, on both the serial
# and the parallel path, and whether their kernels and blocks were loaded from the cache.
_PROGRAM = """
import json, sys
import numba, numpy as np
if sys.argv[1] == "shift":
    numba.njit(lambda x: x + 1)(1)
import lossjit as lj
from lossjit import regression
from lossjit._kernels.softmax import softmax_cross_entropy
rng = np.random.default_rng(0)
values = {}
for n in (1000, 100_000):
    y, p = rng.random(n), rng.random(n)
    values[f"mse {n}"] = float(lj.mse(y, p))
    labels = rng.integers(0, 10, n // 10)
    values[f"cross_entropy {n}"] = float(lj.cross_entropy(labels, rng.normal(size=(n // 10, 10)), from_logits=True))
loaded = {}
for name, kernel in (("mse", regression._MSE), ("cross_entropy", softmax_cross_entropy)):
    dispatcher = kernel[np.dtype("float64")]
    block = next(value.compiled for value in dispatcher.py_func.__globals__.values() if hasattr(value, "compiled"))
    loaded[name] = [bool(dispatcher.stats.cache_hits), bool(block.stats.cache_hits)]
print(json.dumps({"values": values, "loaded": loaded}))
"""


def _run(cache, shift=False):
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-c", _PROGRAM, "shift" if shift else "plain"], env=environment,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_kernels_and_blocks_load_from_the_cache_and_agree(tmp_path):
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert second["values"] == first["values"]
    assert second["loaded"] == {"mse": [True, True], "cross_entropy": [True, True]}


def test_a_block_compiled_again_under_another_symbol_gets_its_own_kernel(tmp_path):
    first = _run(tmp_path)
    for path in pathlib.Path(tmp_path).rglob("*"):  # the blocks' cache entries only: the kernels stay
        if path.is_file() and ("_block-" in path.name or "._block-" in path.name):
            path.unlink()
    shifted = _run(tmp_path, shift=True)  # the blocks compile again, under other symbols
    assert shifted["values"] == first["values"]
    assert shifted["loaded"] == {"mse": [False, False], "cross_entropy": [False, False]}
    again = _run(tmp_path, shift=True)
    assert again["values"] == first["values"]
    assert again["loaded"] == {"mse": [True, True], "cross_entropy": [True, True]}
