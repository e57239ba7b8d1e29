"""A kernel calls its block function's compiled code through the block's address
(``lossjit/_kernels/calls.py``): both load from Numba's cache in a new process, a block compiled anew
is called as well as a cached one, and the pointwise losses share one driver per dtype."""

import json
import os
import shutil
import subprocess
import sys

import numba
import numpy as np
import pytest

from lossjit import regression

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")

# Each run: an unrelated function compiled first (when asked) shifts the counter in the names Numba
# gives the functions it compiles after it; then values of a pointwise and a row loss, on both the
# serial and the parallel path, and whether their kernels and blocks were loaded from the cache (mse: the
# driver's serial and parallel functions, then mse's element loops of a sum; the row loss is Dice: its serial and
# parallel kernel, then its block; its kernel compiles faster than cross-entropy's).
_PROGRAM = """
import json, sys
import numba, numpy as np
if sys.argv[1] == "shift":
    numba.njit(lambda x: x + 1)(1)
import lossjit as lj
from lossjit import regression
from lossjit._kernels.dice import dice_loss
rng = np.random.default_rng(0)
values = {}
for n in (1000, 100_000):
    y, p = rng.random(n), rng.random(n)
    values[f"mse {n}"] = float(lj.mse(y, p))
    maps = rng.random((n // 100, 4, 25))
    values[f"dice {n}"] = float(lj.dice(maps, maps[::-1].copy()))
loaded = {name: [bool(function.stats.cache_hits) for function in kernel.compiled_functions(np.float64)]
          for name, kernel in (("mse", regression._MSE), ("dice", dice_loss))}
print(json.dumps({"values": values, "loaded": loaded}))
"""


def _run(cache, shift=False):
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-c", _PROGRAM, "shift" if shift else "plain"], env=environment,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A cache filled by one run, and that run's output."""
    cache = tmp_path_factory.mktemp("numba-cache")
    return cache, _run(cache)


def test_kernels_and_blocks_load_from_the_cache_and_agree(first_run):
    cache, first = first_run
    assert first["loaded"] == {"mse": [False, False, False], "dice": [False, False, False]}
    second = _run(cache)
    assert second["values"] == first["values"]
    assert second["loaded"] == {"mse": [True, True, True], "dice": [True, True, True]}


def test_a_block_compiled_anew_is_called_by_a_kernel_from_the_cache(first_run, tmp_path):
    cache, first = first_run
    shutil.copytree(cache, tmp_path / "cache")
    for path in (tmp_path / "cache").rglob("*"):  # the blocks' and element loops' entries only: the drivers stay
        if path.is_file() and (path.name.startswith("element_loops.mse_") or "_sample-" in path.name):
            path.unlink()
    shifted = _run(tmp_path / "cache", shift=True)  # the blocks compile again, under other names
    assert shifted["values"] == first["values"]
    assert shifted["loaded"] == {"mse": [True, True, False], "dice": [True, True, False]}


def test_pointwise_losses_share_a_driver_per_dtype():
    y, p = np.ones(3), np.full(3, 0.5)
    for loss in (regression.mse, regression.mae, regression.huber, regression.quantile):
        loss(y, p)
    driver = {name: kernel.compiled_functions(np.float64)[0]
              for name, kernel in (("mse", regression._MSE), ("mae", regression._MAE), ("huber", regression._HUBER),
                                   ("quantile", regression._QUANTILE))}
    assert driver["mse"] is driver["mae"] is driver["huber"] is driver["quantile"]  # with parameters or without


_CTC_PROGRAM = """
import json
import numpy as np
import lossjit as lj
from lossjit._kernels import ctc
value = float(lj.ctc([[1], [2]], np.full((3, 2, 3), -1.0)))
helpers = [ctc.log_probabilities[np.float64], ctc.scaled_forward]
print(json.dumps({"value": value, "loaded": [bool(helper.stats.cache_hits) for helper in helpers],
                  "backward": bool(ctc.scaled_backward.overloads) or bool(ctc.sample_gradient.compiled_dtypes())}))
"""


def test_helpers_called_at_their_addresses_load_from_the_cache(tmp_path):
    """CTC's blocks call their helpers at their addresses: the helpers are cached, so a new process loads them; a
    call without the gradient neither compiles nor loads the backward recursion or the gradient."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", _CTC_PROGRAM], env=environment, capture_output=True,
                                      text=True, check=True).stdout) for _ in range(2)]
    assert [run["loaded"] for run in runs] == [[False, False], [True, True]]
    assert not any(run["backward"] for run in runs)
    assert runs[0]["value"] == runs[1]["value"]


_LAZY_BACKWARD_PROGRAM = """
import json
import numpy as np
import lossjit as lj
from lossjit._kernels import dice
maps = np.full((2, 3, 4), 0.25)
lj.tversky(maps, maps)
lj.dice(maps, maps)
without = dice.backward.compiled_dtypes()
lj.tversky.value_and_grad(maps, maps)
print(json.dumps({"without": [str(d) for d in without], "with": [str(d) for d in dice.backward.compiled_dtypes()]}))
"""


def test_a_value_without_gradient_leaves_the_backward_pass_alone(tmp_path):
    """Dice's and Tversky's backward pass, called at its address, is compiled by the first gradient, not before."""
    result = subprocess.run([sys.executable, "-c", _LAZY_BACKWARD_PROGRAM], capture_output=True, text=True, check=True,
                            env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert json.loads(result.stdout) == {"without": [], "with": ["float64"]}


def test_a_call_at_an_address_refuses_arguments_it_cannot_cast():
    """A call at an address types its arguments against the callee's signature: a Fortran-ordered array where a
    C-contiguous one is declared is a typing error, never a cast to the wrong layout."""
    from lossjit._kernels import ctc

    address = ctc.helper_addresses(np.dtype(np.float64), False)[1]
    call = numba.njit(lambda *args: ctc._call_scaled_forward(address, *args))
    emissions, top, skip = np.full((4, 3), 0.5), np.zeros(4), np.zeros(5, np.int64)
    assert np.isfinite(call(emissions, top, skip, 3)[0])
    with pytest.raises(numba.core.errors.TypingError):
        call(np.asfortranarray(np.full((3, 4), 0.5).T), top, skip, 3)
