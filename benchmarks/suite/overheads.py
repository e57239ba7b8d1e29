"""The fixed costs of a call: import time, first call with a warm cache, time per call at 1,000 elements."""

import os
import statistics
import subprocess
import sys
import time

import numpy as np

import lossjit as lj

from . import peers
from .peers import F, torch


def _subprocess_seconds(code, repeats):
    """Median over fresh interpreters of the float that ``code`` prints."""
    values = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
        values.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


_WITHOUT_SCIPY_AND_CFFI = (
    "import importlib.abc, sys\n"
    "class Unimportable(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path, target=None):\n"
    "        if name.partition('.')[0] in ('scipy', 'cffi'):\n"
    "            raise ImportError(name)\n"
    "sys.meta_path.insert(0, Unimportable())\n"
)


def overheads(repeats):
    """Import time of lossjit beyond numba, first call with a warm cache, per-call time at 1,000 elements."""
    subprocess.run([sys.executable, "-m", "lossjit.warmup"], check=True, capture_output=True)
    timer = "import time; start = time.perf_counter(); "
    numba_import = _subprocess_seconds(timer + "import numba; print(time.perf_counter() - start)", repeats)
    lossjit_import = _subprocess_seconds(timer + "import lossjit; print(time.perf_counter() - start)", repeats)
    first_call = {}
    for name, call in (("mse.value_and_grad", "lj.mse.value_and_grad(y, p)"),
                       ("cross_entropy.value_and_grad", "lj.cross_entropy.value_and_grad(np.arange(250) % 4, "
                                                        "p.reshape(-1, 4), from_logits=True)")):
        code = ("import time, numpy as np, lossjit as lj; y = np.arange(1000.0); p = y + 0.5; "
                f"start = time.perf_counter(); {call}; print(time.perf_counter() - start)")
        first_call[name] = _subprocess_seconds(code, repeats)
    # The same first call where scipy and cffi cannot be imported, as in an install of lossjit's own
    # dependencies (numpy, numba): Numba's start-up imports scipy.linalg and cffi when they are there.
    first_call["mse.value_and_grad, without scipy and cffi"] = _subprocess_seconds(_WITHOUT_SCIPY_AND_CFFI + code, repeats)
    y = np.linspace(0, 1, 1000)
    p = y[::-1].copy()
    labels = np.arange(250) % 4
    logits = np.linspace(-1, 1, 1000).reshape(250, 4)
    calls = {
        "lj.mse(y, p)": lambda: lj.mse(y, p),
        "lj.mse.value_and_grad(y, p)": lambda: lj.mse.value_and_grad(y, p),
        "lj.binary_cross_entropy(y, p)": lambda: lj.binary_cross_entropy(y, p),
        "lj.cross_entropy(labels, logits (250, 4))": lambda: lj.cross_entropy(labels, logits, from_logits=True),
        "numpy mse value+grad": lambda: peers.mse(y, p, True),
    }
    if torch is not None:
        yt, pt = torch.from_numpy(y), torch.from_numpy(p)
        calls["torch F.mse_loss forward"] = lambda: F.mse_loss(pt, yt).item()
    per_call = dict.fromkeys(calls, float("inf"))
    for _ in range(7):  # rounds of one batch each, interleaved as in measure.best_times
        for label, fn in calls.items():
            start = time.perf_counter()
            for _ in range(2000):
                fn()
            per_call[label] = min(per_call[label], (time.perf_counter() - start) / 2000)
    return {"import_numba_s": numba_import, "import_lossjit_s": lossjit_import,
            "import_lossjit_minus_numba_s": lossjit_import - numba_import,
            "first_call_warm_cache_s": first_call, "per_call_1000_elements_s": per_call}
