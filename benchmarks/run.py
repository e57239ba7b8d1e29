"""Benchmark suite: lossjit against NumPy, scikit-learn and PyTorch CPU, and against this machine's bandwidth.

Run ``make bench`` (or ``python benchmarks/run.py [--quick]``). Everything is
measured in one run, so the ratios compare like with like even on a busy
machine; absolute times are only as quiet as the machine was. Writes
``benchmarks/results/RESULTS.md``, ``results.json`` and ``speed.png``.

Times are the best of several repeats (the least disturbed run), taken in rounds
that interleave the libraries compared (see ``best_times``). Bandwidth is
the bytes a loss must move (inputs read once, gradient written once) divided
by its time, compared with a STREAM-like kernel on the same number of
elements moving the same streams (triad ``a = b + s c`` for value+gradient and
for the per-element losses of ``reduction="none"``, a two-array read for the
value alone), so ``% bw`` is the share of what this
machine can move at that size (L2/L3 for small arrays, memory for large), and
with the same kernels on ``MEMORY_ELEMENTS`` elements, arrays far larger than
the last-level cache (STREAM's rule), so ``% mem`` is the share of the memory
bandwidth. The targets use the memory bandwidth; up to 1e7 elements the inputs
of a loss partly stay in cache, where ``% mem`` can pass 100%.

This VM's memory speed drifts by up to 2x over minutes, so a kernel timed once at
the start is a poor yardstick for a loss timed ten minutes later. From
``STREAM_IN_ROUNDS`` elements the pointwise rows therefore time their STREAM
kernel (on the loss's own inputs) in the same rounds as the libraries, and
``% bw`` uses that; the memory bandwidth is the best figure on
``MEMORY_ELEMENTS`` elements anywhere in the run.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

import lossjit as lj

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is optional: its columns are then left out
    torch = None
try:
    from sklearn import metrics as sk
except ImportError:
    sk = None

POINTWISE_SIZES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
QUICK_SIZES = [10**3, 10**5, 10**6]
SOFTMAX_SHAPES = [(64, 10), (1024, 100), (4096, 1000), (1024, 32000), (4096, 32000)]
QUICK_SHAPES = [(64, 10), (1024, 1000)]
SKLEARN_MAX_ELEMENTS = 10**7  # its input checks (np.unique of the labels) make larger sizes minutes long
OUT = "lossjit out="  # lossjit value+grad into a reused gradient buffer
MEMORY_ELEMENTS = 10**8  # STREAM-like kernels here measure the memory bandwidth (arrays of 0.4-0.8 GB each)
STREAM_IN_ROUNDS = 10**6  # from here pointwise rows time their STREAM kernel in their own rounds
STREAM = "stream"  # that kernel's key in a row's times (moved to row["stream"] after timing)
DTYPES = (np.float32, np.float64)


# -- timing -------------------------------------------------------------------------------------------

def best_times(functions, budget, rounds=4):
    """Best seconds per call of each of ``functions`` (name -> callable), timed in interleaved rounds.

    Timings on this shared VM drift by 20-30% within minutes. Every round gives each function its
    turn, so a slow spell hits all of them alike and the ratios within a run stay fair (timed one
    library after the other, a spell could land on one of them only). One warm-up call each, then
    about ``budget`` seconds per function over the rounds: at most 200 calls, at least one a round;
    functions slower than the budget get 2 rounds of one call.
    """
    first = {}
    for name, fn in functions.items():
        start = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - start
    if max(first.values()) > budget:
        rounds = 2
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, fn in functions.items():
            repeats = int(min(200 / rounds, max(1, budget / rounds / max(first[name], 1e-7))))
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


# -- STREAM-like bandwidth ------------------------------------------------------------------------------

@njit(parallel=True)
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


@njit(parallel=True)
def _copy(a, b):
    for i in prange(a.size):
        a[i] = b[i]


@njit(parallel=True)
def _read2(b, c):
    total = 0.0
    for i in prange(b.size):
        total += b[i] + c[i]
    return total


# Serial twins: for small arrays one thread moves more than two (no thread start).
_serial_triad, _serial_copy, _serial_read2 = (njit(f.py_func) for f in (_triad, _copy, _read2))


def bandwidth(n, dtype, budget):
    """GB/s of triad (2 reads, 1 write), copy (1 read, 1 write) and read2 (2 reads) on n elements.

    Each is the better of the parallel (2 threads) and the serial kernel.
    """
    b = np.ones(n, dtype)
    c = np.ones(n, dtype)
    a = np.empty(n, dtype)
    s = dtype(0.5)
    size = b.itemsize * n

    def fastest(kernels, *args):
        return min(best_times({k: lambda kernel=kernel: kernel(*args) for k, kernel in enumerate(kernels)},
                              budget).values())
    return {
        "triad": 3 * size / fastest((_triad, _serial_triad), a, b, c, s) / 1e9,
        "copy": 2 * size / fastest((_copy, _serial_copy), a, b) / 1e9,
        "read2": 2 * size / fastest((_read2, _serial_read2), b, c) / 1e9,
    }


# -- pointwise losses -----------------------------------------------------------------------------------

def _numpy_mse(y, p, grad):
    d = p - y
    loss = np.mean(d * d)
    return (loss, d * (2.0 / d.size)) if grad else loss


def _numpy_mae(y, p, grad):
    d = p - y
    loss = np.mean(np.abs(d))
    return (loss, np.sign(d) / d.size) if grad else loss


def _numpy_huber(y, p, grad, delta=1.0):
    d = p - y
    a = np.abs(d)
    loss = np.mean(np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta)))
    return (loss, np.clip(d, -delta, delta) / d.size) if grad else loss


def _numpy_bce_logits(y, z, grad):
    e = np.exp(-np.abs(z))
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(e))
    if not grad:
        return loss
    sigmoid = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return loss, (sigmoid - y) / z.size


def _numpy_bce_probabilities(y, p, grad, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    loss = -np.mean(y * np.log(q) + (1 - y) * np.log1p(-q))
    return (loss, (q - y) / (q * (1 - q)) / p.size) if grad else loss


POINTWISE = {
    # name: (lossjit loss, NumPy formula, torch.nn.functional name, sklearn.metrics name, data kind, options)
    "mse": (lj.mse, _numpy_mse, "mse_loss", "mean_squared_error", "regression", {}),
    "mae": (lj.mae, _numpy_mae, "l1_loss", "mean_absolute_error", "regression", {}),
    "huber": (lj.huber, _numpy_huber, "huber_loss", None, "regression", {}),
    "binary_cross_entropy(from_logits)": (lj.binary_cross_entropy, _numpy_bce_logits,
                                          "binary_cross_entropy_with_logits", None, "logits", {"from_logits": True}),
    "binary_cross_entropy(probabilities)": (lj.binary_cross_entropy, _numpy_bce_probabilities,
                                            "binary_cross_entropy", "log_loss", "probabilities", {}),
}


def _numpy_log_cosh(y, p, grad):
    d = p - y
    loss = np.mean(np.logaddexp(d, -d) - np.log(2.0))
    return (loss, np.tanh(d) / d.size) if grad else loss


def _numpy_quantile(y, p, grad, q=0.5):
    d = y - p
    loss = np.mean(np.maximum(q * d, (q - 1) * d))
    return (loss, np.where(d > 0, -q, 1 - q) / d.size) if grad else loss


def _numpy_poisson_log(y, p, grad):
    rate = np.exp(p)
    loss = np.mean(rate - y * p)
    return (loss, (rate - y) / p.size) if grad else loss


def _numpy_smooth_l1(y, p, grad, beta=1.0):
    d = p - y
    a = np.abs(d)
    loss = np.mean(np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta))
    return (loss, np.clip(d / beta, -1, 1) / d.size) if grad else loss


def _numpy_hinge(y, p, grad):
    signed = 2 * y - 1
    margin = 1 - signed * p
    loss = np.mean(np.maximum(margin, 0))
    return (loss, np.where(margin > 0, -signed, 0) / p.size) if grad else loss


def _numpy_squared_hinge(y, p, grad):
    signed = 2 * y - 1
    margin = np.maximum(1 - signed * p, 0)
    loss = np.mean(margin * margin)
    return (loss, -2 * signed * margin / p.size) if grad else loss


def _numpy_focal(y, p, grad, gamma=2.0, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    p_true = np.where(y == 1, q, 1 - q)
    log_p_true = np.log(p_true)
    loss = np.mean(-(1 - p_true) ** gamma * log_p_true)
    if not grad:
        return loss
    d_p_true = gamma * (1 - p_true) ** (gamma - 1) * log_p_true - (1 - p_true) ** gamma / p_true
    return loss, np.where(y == 1, d_p_true, -d_p_true) / p.size


def _numpy_kl_divergence(y, p, grad, eps=1e-7):
    q = np.maximum(p, eps)
    loss = np.mean(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / q), 0))
    return (loss, np.where(p >= eps, -y / q, 0) / p.size) if grad else loss


#: The rest of the pointwise catalogue, against its NumPy formula only, at CATALOGUE_SIZE elements.
CATALOGUE = {
    "log_cosh": (lj.log_cosh, _numpy_log_cosh, None, None, "regression", {}),
    "quantile": (lj.quantile, _numpy_quantile, None, None, "regression", {}),
    "poisson(log_input)": (lj.poisson, _numpy_poisson_log, None, None, "counts", {}),
    "smooth_l1": (lj.smooth_l1, _numpy_smooth_l1, None, None, "regression", {}),
    "focal": (lj.focal, _numpy_focal, None, None, "probabilities", {}),
    "hinge": (lj.hinge, _numpy_hinge, None, None, "scores", {}),
    "squared_hinge": (lj.squared_hinge, _numpy_squared_hinge, None, None, "scores", {}),
    "kl_divergence": (lj.kl_divergence, _numpy_kl_divergence, None, None, "probabilities", {}),
}
CATALOGUE_SIZE = 10**6


def _pointwise_data(kind, n, dtype, rng):
    if kind == "regression":
        return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    if kind == "counts":
        return rng.poisson(3.0, n).astype(dtype), (0.5 * rng.standard_normal(n) + 1).astype(dtype)
    labels = (rng.random(n) < 0.5).astype(dtype)
    if kind == "logits":
        return labels, (3 * rng.standard_normal(n)).astype(dtype)
    if kind == "scores":
        return labels, rng.standard_normal(n).astype(dtype)
    return labels, rng.uniform(0.01, 0.99, n).astype(dtype)


def bench_pointwise(name, n, dtype, budget, rng, table=POINTWISE):
    """Rows (one per mode) of seconds per call for each library, for one loss, size and dtype."""
    loss, numpy_fn, torch_name, sklearn_name, data_kind, options = table[name]
    y, p = _pointwise_data(data_kind, n, dtype, rng)
    rows = []
    reference = float(numpy_fn(y, p, False))
    value = float(loss(y, p, **options))
    agree = abs(value - reference) <= (1e-4 if dtype == np.float32 else 1e-9) * max(1.0, abs(reference))
    for mode in ("value", "value+grad"):
        grad = mode == "value+grad"
        calls = {"lossjit": (lambda: loss.value_and_grad(y, p, **options)) if grad else (lambda: loss(y, p, **options)),
                 "numpy": lambda: numpy_fn(y, p, grad)}
        if sk is not None and sklearn_name and not grad and n <= SKLEARN_MAX_ELEMENTS:
            metric = getattr(sk, sklearn_name)
            calls["sklearn"] = lambda: metric(y, p)
        if torch is not None and torch_name:
            calls["torch"] = _torch_call(torch_name, y, p, grad)
        if grad:  # the same call into one reused buffer: no new gradient pages to fault in
            buffer = np.empty_like(p)
            calls[OUT] = lambda: loss.value_and_grad(y, p, out=buffer, **options)
        if n >= STREAM_IN_ROUNDS:  # the same streams over the same arrays, in the same rounds
            if grad:
                calls[STREAM] = lambda: _triad(buffer, y, p, dtype(0.5))
            else:
                calls[STREAM] = lambda: _read2(y, p)
        times = best_times(calls, budget)
        rows.append({"loss": name, "dtype": np.dtype(dtype).name, "n": n, "mode": mode, "times": times,
                     "stream": times.pop(STREAM, None),
                     "bytes": (3 if grad else 2) * n * np.dtype(dtype).itemsize, "agree": bool(agree)})
    return rows


def best_memory_bandwidth(bw, rows):
    """``bw`` with each STREAM figure on MEMORY_ELEMENTS elements raised to the best one timed with the
    pointwise rows of that size (triad with value+grad, read2 with the value)."""
    for row in rows:
        if row["n"] == MEMORY_ELEMENTS and row.get("stream"):
            figures = bw[(row["dtype"], MEMORY_ELEMENTS)]
            kind = "read2" if row["mode"] == "value" else "triad"
            figures[kind] = max(figures[kind], row["bytes"] / row["stream"] / 1e9)
    return bw


def _elements_mse(y, p):
    d = p - y
    return d * d


def _elements_huber(y, p, delta=1.0):
    d = p - y
    a = np.abs(d)
    return np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _elements_bce_logits(y, z):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def _elements_bce_probabilities(y, p, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    return -(y * np.log(q) + (1 - y) * np.log1p(-q))


#: Per-element losses (``reduction="none"``) of the main pointwise losses, written out in NumPy as the
#: ``_numpy_*`` formulas above are (each intermediate computed once).
ELEMENTWISE = {
    "mse": _elements_mse,
    "mae": lambda y, p: np.abs(p - y),
    "huber": _elements_huber,
    "binary_cross_entropy(from_logits)": _elements_bce_logits,
    "binary_cross_entropy(probabilities)": _elements_bce_probabilities,
}


def bench_elementwise(name, n, dtype, budget, rng):
    """A row of seconds per call of the per-element losses (``reduction="none"``) for one loss."""
    loss, _, torch_name, _, data_kind, options = POINTWISE[name]
    y, p = _pointwise_data(data_kind, n, dtype, rng)
    numpy_fn = ELEMENTWISE[name]
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    agree = bool(np.allclose(loss(y, p, reduction="none", **options), numpy_fn(y, p), rtol=tolerance, atol=tolerance))
    calls = {"lossjit": lambda: loss(y, p, reduction="none", **options), "numpy": lambda: numpy_fn(y, p)}
    if torch is not None and torch_name:
        function, target, prediction = getattr(F, torch_name), torch.from_numpy(y), torch.from_numpy(p)

        def forward():
            with torch.no_grad():
                return function(prediction, target, reduction="none")
        calls["torch"] = forward
    return {"loss": name, "dtype": np.dtype(dtype).name, "n": n, "mode": 'losses ("none")',
            "times": best_times(calls, budget), "bytes": 3 * n * np.dtype(dtype).itemsize, "agree": agree}


def _torch_call(torch_name, y, p, grad):
    """A call of torch's loss (forward, or forward and backward) on y and p."""
    function = getattr(F, torch_name)
    target = torch.from_numpy(y)
    if not grad:
        prediction = torch.from_numpy(p)

        def forward():
            with torch.no_grad():
                return function(prediction, target).item()
        return forward
    prediction = torch.from_numpy(p.copy()).requires_grad_(True)

    def forward_backward():
        prediction.grad = None
        out = function(prediction, target)
        out.backward()
        return out.item(), prediction.grad
    return forward_backward


# -- softmax cross-entropy --------------------------------------------------------------------------------

def _numpy_cross_entropy(labels, z, grad):
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels])
    if not grad:
        return loss
    softmax = exp / total
    softmax[rows, labels] -= 1
    return loss, softmax / z.shape[0]


def _numpy_soft_cross_entropy(targets, z, grad):
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(targets * (shifted - np.log(total)), axis=1))
    if not grad:
        return loss
    return loss, (exp / total * targets.sum(axis=1, keepdims=True) - targets) / z.shape[0]


def _numpy_softmax_focal(labels, z, grad, gamma=2.0):
    """-(1 - p_y)^gamma log p_y averaged over rows; gradient b_y (softmax - onehot), b_y the module's slope."""
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    log_p = shifted[rows, labels] - np.log(total[:, 0])
    p = np.exp(log_p)
    m = 1 - p
    loss = np.mean(-m**gamma * log_p)
    if not grad:
        return loss
    slope = m**gamma * (1 - gamma * p * log_p / m) / z.shape[0]
    softmax = exp / total
    softmax[rows, labels] -= 1
    return loss, softmax * slope[:, None]


#: name -> (lossjit's loss, NumPy's formula per kind of target, whether torch has it)
SOFTMAX_LOSSES = {
    "cross_entropy": (lj.cross_entropy, {"labels": _numpy_cross_entropy, "probabilities": _numpy_soft_cross_entropy},
                      True),
    "softmax_focal": (lj.softmax_focal, {"labels": _numpy_softmax_focal}, False),  # gamma 2, torch has none
}


def bench_softmax(shape, dtype, budget, rng, kind="labels", loss="cross_entropy"):
    """A loss of ``SOFTMAX_LOSSES`` on logits against class indices (``kind="labels"``) or class
    probabilities."""
    lossjit_loss, numpy_losses, torch_has_it = SOFTMAX_LOSSES[loss]
    numpy_loss = numpy_losses[kind]
    n_rows, n_classes = shape
    z = (2 * rng.standard_normal(shape)).astype(dtype)
    if kind == "labels":
        y_true = rng.integers(0, n_classes, n_rows)
    else:
        y_true = rng.random(shape, dtype)
        y_true /= y_true.sum(axis=1, keepdims=True)
    value = float(lossjit_loss(y_true, z, from_logits=True))
    reference = float(numpy_loss(y_true, z, False))
    agree = abs(value - reference) <= (1e-4 if dtype == np.float32 else 1e-9) * max(1.0, abs(reference))
    rows = []
    for mode in ("value", "value+grad"):
        grad = mode == "value+grad"
        if grad:
            calls = {"lossjit": lambda: lossjit_loss.value_and_grad(y_true, z, from_logits=True)}
        else:
            calls = {"lossjit": lambda: lossjit_loss(y_true, z, from_logits=True)}
        calls["numpy"] = lambda: numpy_loss(y_true, z, grad)
        if torch is not None and torch_has_it:
            target = torch.from_numpy(y_true)
            if grad:
                logits = torch.from_numpy(z.copy()).requires_grad_(True)

                def forward_backward():
                    logits.grad = None
                    out = F.cross_entropy(logits, target)
                    out.backward()
                    return out.item(), logits.grad
                calls["torch"] = forward_backward
            else:
                logits = torch.from_numpy(z)

                def forward():
                    with torch.no_grad():
                        return F.cross_entropy(logits, target).item()
                calls["torch"] = forward
        times = best_times(calls, budget)
        arrays = (2 if grad else 1) + (kind != "labels")  # logits, the targets' array, the gradient
        rows.append({"loss": f"{loss}({kind}, logits)", "dtype": np.dtype(dtype).name,
                     "n": n_rows * n_classes, "shape": list(shape), "mode": mode, "times": times,
                     "bytes": arrays * n_rows * n_classes * np.dtype(dtype).itemsize,
                     "agree": bool(agree)})
    return rows


# -- CTC (when lossjit has it) ------------------------------------------------------------------------

def bench_ctc(budget, rng, quick):
    """lj.ctc against log_softmax + torch.nn.functional.ctc_loss on the same (T, N, C) logits (float32)."""
    if not hasattr(lj, "ctc") or torch is None:
        return []
    shapes = [(50, 16, 20)] if quick else [(50, 16, 20), (200, 32, 40), (500, 64, 80)]
    rows = []
    for time_steps, batch, n_classes in shapes:
        target_length = time_steps // 4
        logits = rng.standard_normal((time_steps, batch, n_classes)).astype(np.float32)
        targets = rng.integers(1, n_classes, (batch, target_length))
        lengths = {"input_lengths": np.full(batch, time_steps), "target_lengths": np.full(batch, target_length)}
        z, tt, il, tl = (torch.from_numpy(a) for a in (logits, targets, lengths["input_lengths"],
                                                        lengths["target_lengths"]))
        reference = F.ctc_loss(z.log_softmax(2), tt, il, tl).item()
        value = float(lj.ctc(targets, logits, **lengths))
        agree = abs(value - reference) <= 1e-4 * max(1.0, abs(reference))
        for mode in ("value", "value+grad"):
            grad = mode == "value+grad"
            if grad:
                leaf = z.clone().requires_grad_(True)

                def run_lossjit():
                    return lj.ctc.value_and_grad(targets, logits, **lengths)

                def run_torch():
                    leaf.grad = None
                    out = F.ctc_loss(leaf.log_softmax(2), tt, il, tl)
                    out.backward()
                    return out.item(), leaf.grad
            else:
                def run_lossjit():
                    return lj.ctc(targets, logits, **lengths)

                def run_torch():
                    with torch.no_grad():
                        return F.ctc_loss(z.log_softmax(2), tt, il, tl).item()
            times = best_times({"lossjit": run_lossjit, "torch": run_torch}, budget)
            rows.append({"loss": "ctc (logits, float32)", "dtype": "float32", "n": logits.size,
                         "shape": [time_steps, batch, n_classes], "mode": mode, "times": times,
                         "bytes": None, "agree": bool(agree)})
    return rows


# -- overheads: import, first call, per call -----------------------------------------------------------

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
        "numpy mse value+grad": lambda: _numpy_mse(y, p, True),
    }
    if torch is not None:
        yt, pt = torch.from_numpy(y), torch.from_numpy(p)
        calls["torch F.mse_loss forward"] = lambda: F.mse_loss(pt, yt).item()
    per_call = dict.fromkeys(calls, float("inf"))
    for _ in range(7):  # rounds of one batch each, interleaved as in best_times
        for label, fn in calls.items():
            start = time.perf_counter()
            for _ in range(2000):
                fn()
            per_call[label] = min(per_call[label], (time.perf_counter() - start) / 2000)
    return {"import_numba_s": numba_import, "import_lossjit_s": lossjit_import,
            "import_lossjit_minus_numba_s": lossjit_import - numba_import,
            "first_call_warm_cache_s": first_call, "per_call_1000_elements_s": per_call}


# -- environment -------------------------------------------------------------------------------------------

def environment():
    import numba
    _triad(np.ones(10**5), np.ones(10**5), np.ones(10**5), 1.0)  # a parallel launch picks the layer
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_name(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "numba_threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "lossjit": lj.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "sklearn": __import__("sklearn").__version__ if sk is not None else None,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "load_average": os.getloadavg(),
    }
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: pool.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
                               for pool in threadpool_info()]
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed"
    return info


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# -- report ------------------------------------------------------------------------------------------------

def _fmt_time(seconds):
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _ratio(row, other):
    t = row["times"].get(other)
    return t / row["times"]["lossjit"] if t else None


def _bw_share(row, bw, library="lossjit", n=None):
    """(GB/s, share of the matching STREAM kernel on ``n`` elements: the row's own size by default, timed
    in the row's own rounds when it was)."""
    if row["bytes"] is None or library not in row["times"]:
        return None, None
    gbs = row["bytes"] / row["times"][library] / 1e9
    if n is None and row.get("stream"):
        return gbs, row["stream"] / row["times"][library]
    key = (row["dtype"], n or row["n"])
    stream = "read2" if row["mode"] == "value" else "triad"  # value+grad and per-element losses write an array
    if row["loss"].startswith(("cross_entropy(labels", "softmax_focal")):  # one array read (and the gradient written)
        stream = "copy" if row["mode"] == "value+grad" else "read2"
    reference = bw.get(key, {}).get(stream)
    return gbs, (gbs / reference if reference else None)


def _memory_share(row, bw, library="lossjit"):
    """Share of the memory bandwidth (the STREAM kernel on MEMORY_ELEMENTS elements)."""
    return _bw_share(row, bw, library, MEMORY_ELEMENTS)[1]


def _triad_floor(row, bw):
    """What 4x torch asks of ``row`` against the time of the same-size triad, which moves the same
    bytes (two arrays read, one written) and computes nothing."""
    triad = bw.get((row["dtype"], row["n"]), {}).get("triad")
    seconds = row.get("stream") or (row["bytes"] / triad / 1e9 if triad and row["bytes"] else None)
    if not seconds:
        return ""
    return f" (4x torch: {_fmt_time(row['times']['torch'] / 4)}; the same-size triad: {_fmt_time(seconds)})"


def targets(rows, bw, over):
    """Each target of issue 5 with the measured figure and whether it is met (sizes >= 1e6)."""
    checks = []
    for name in ("mse", "mae", "huber", "binary_cross_entropy(from_logits)"):
        for dtype in ("float32", "float64"):
            big = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"
                   and r["n"] >= 10**6]
            if not big:
                continue
            vs_numpy = min(_ratio(r, "numpy") for r in big)
            with_torch = [r for r in big if "torch" in r["times"]]
            vs_torch = min((_ratio(r, "torch") for r in with_torch), default=None)
            memory = min(_memory_share(r, bw) or 0 for r in big)
            memory_out = min(_memory_share(r, bw, OUT) or 0 for r in big)
            cache = min(_bw_share(r, bw)[1] or 0 for r in big)
            cache_out = min(_bw_share(r, bw, OUT)[1] or 0 for r in big)
            checks.append((f"{name} {dtype} value+grad >= 1e6: >= 4x NumPy", f"{vs_numpy:.1f}x", vs_numpy >= 4))
            if vs_torch is not None:
                checks.append((f"{name} {dtype} value+grad >= 1e6: >= 4x torch",
                               f"{vs_torch:.1f}x{_triad_floor(min(with_torch, key=lambda r: _ratio(r, 'torch')), bw)}",
                               vs_torch >= 4))
            checks.append((f"{name} {dtype} value+grad >= 1e6: >= 75% of memory bandwidth", f"{memory:.0%}",
                           memory >= 0.75))
            checks.append((f"{name} {dtype} value+grad >= 1e6 into a reused `out=`: >= 75% of memory bandwidth",
                           f"{memory_out:.0%}", memory_out >= 0.75))
            checks.append((f"{name} {dtype} value+grad >= 1e6 (like for like): >= 75% of the same-size triad "
                           f"timed in the same rounds, new gradient / `out=`", f"{cache:.0%} / {cache_out:.0%}",
                           min(cache, cache_out) >= 0.75))
    for kind in ("labels", "probabilities"):
        softmax = [r for r in rows if r["loss"] == f"cross_entropy({kind}, logits)" and "torch" in r["times"]]
        for mode, need in (("value+grad", 2.0), ("value", 1.0)):
            ratios = [_ratio(r, "torch") for r in softmax if r["mode"] == mode]
            if ratios:
                checks.append((f"cross_entropy({kind}, logits) {mode}: >= {need:g}x torch (worst shape)",
                               f"{min(ratios):.2f}x", min(ratios) >= need))
    ctc = [_ratio(r, "torch") for r in rows if r["loss"].startswith("ctc")]
    if ctc:
        checks.append(("ctc: >= 2x torch (worst shape)", f"{min(ctc):.2f}x", min(ctc) >= 2))
    per_call = over["per_call_1000_elements_s"]["lj.mse(y, p)"]
    checks.append(("1,000-element call lj.mse(y, p) < 3 us", _fmt_time(per_call), per_call < 3e-6))
    extra = over["import_lossjit_minus_numba_s"]
    checks.append(("import lossjit < 0.3 s more than import numba", f"{extra:.3f} s", extra < 0.3))
    first_calls = over["first_call_warm_cache_s"]
    first = max(v for k, v in first_calls.items() if "without" not in k)
    checks.append(("first call with a warm cache < 0.2 s", f"{first:.3f} s", first < 0.2))
    lean = [v for k, v in first_calls.items() if "without" in k]
    if lean:
        checks.append(("same, without scipy and cffi (lossjit's own dependencies)", f"{lean[0]:.3f} s",
                       lean[0] < 0.2))
    return checks


def markdown(env, bw, rows, over, checks, quick):
    out = [f"# lossjit benchmark results{' (--quick)' if quick else ''}", "",
           f"Run {env['date']} on {env['cpu']}: {env['usable_cpus']} usable CPUs, numba {env['numba']} with "
           f"{env['numba_threads']} threads on the `{env['threading_layer']}` layer; NumPy {env['numpy']}, "
           f"PyTorch {env['torch']} ({env['torch_threads']} threads), scikit-learn {env['sklearn']}, "
           f"Python {env['python']}. Load average at start: "
           f"{', '.join(f'{x:.2f}' for x in env['load_average'])}. OPENBLAS variables: {env['openblas_env'] or 'none'}.",
           "", f"BLAS/OpenMP pools: {env['threadpools']}", "",
           "Times are the best of repeated calls; `x numpy` etc. are how many times faster lossjit is "
           "(above 1: lossjit faster). `GB/s` counts inputs read once and the gradient (or the per-element "
           "losses of `losses (\"none\")`, `reduction=\"none\"`) written once; "
           "`% bw` divides it by a STREAM-like kernel on the same size (triad for value+grad and per-element "
           "losses, a two-array read for the value; for cross-entropy a copy / a one-array read); from "
           f"{STREAM_IN_ROUNDS:.0e} elements the pointwise rows time it on their own arrays in their own rounds "
           "(this VM's memory speed drifts up to 2x over minutes). `% mem` divides by the same kernel on "
           f"{MEMORY_ELEMENTS:.0e} elements (the memory bandwidth: arrays far larger than the cache; the best "
           "figure of the run, from the table below or the rows of that size; a loss "
           "whose inputs stay in cache passes 100%). `out=` is lossjit's "
           "value+grad writing into one reused gradient buffer (`value_and_grad(..., out=buffer)`), timed in "
           "the same rounds.", "",
           "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    out += [f"| {label} | {figure} | {'yes' if ok else '**no**'} |" for label, figure, ok in checks]
    out += ["", "## Memory bandwidth (STREAM-like, numba prange; at the start of the run, the "
            f"{MEMORY_ELEMENTS:.0e} rows raised to the best timed with the pointwise rows)", "",
            "| dtype | n | triad GB/s | copy GB/s | read2 GB/s |", "|---|---:|---:|---:|---:|"]
    for (dtype, n), v in sorted(bw.items()):
        out.append(f"| {dtype} | {n:,} | {v['triad']:.1f} | {v['copy']:.1f} | {v['read2']:.1f} |")
    out += ["", "## Overheads", "",
            f"- `import lossjit` {over['import_lossjit_s']:.3f} s, `import numba` {over['import_numba_s']:.3f} s: "
            f"lossjit adds {over['import_lossjit_minus_numba_s']:.3f} s (median of fresh interpreters).",
            "- First call in a fresh interpreter with a warm cache: "
            + ", ".join(f"`{k}` {v:.3f} s" for k, v in over["first_call_warm_cache_s"].items()) + ".",
            "- Per call at 1,000 elements, validation included:", ""]
    out += [f"  - `{k}`: {_fmt_time(v)}" for k, v in over["per_call_1000_elements_s"].items()]
    losses = list(dict.fromkeys(r["loss"] for r in rows))
    for loss in losses:
        subset = [r for r in rows if r["loss"] == loss]
        others = [k for k in ("numpy", "sklearn", "torch") if any(k in r["times"] for r in subset)]
        with_out = any(OUT in r["times"] for r in subset)
        out_header = "`out=` | % bw | % mem | " if with_out else ""
        out += ["", f"## {loss}", "",
                "| dtype | size | mode | lossjit | GB/s | % bw | % mem | " + out_header
                + " | ".join(f"{k} | x {k}" for k in others) + " |",
                "|---|---:|---|---:|---:|---:|---:|" + "---:|---:|" * len(others) + "---:|---:|---:|" * with_out]
        for r in subset:
            gbs, share = _bw_share(r, bw)
            memory = _memory_share(r, bw)
            size = "x".join(map(str, r["shape"])) if "shape" in r else f"{r['n']:,}"
            cells = [r["dtype"], size, r["mode"], _fmt_time(r["times"]["lossjit"]),
                     f"{gbs:.1f}" if gbs else "", f"{share:.0%}" if share else "", f"{memory:.0%}" if memory else ""]
            if with_out:
                share_out, memory_out = _bw_share(r, bw, OUT)[1], _memory_share(r, bw, OUT)
                cells += [_fmt_time(r["times"].get(OUT)), f"{share_out:.0%}" if share_out else "",
                          f"{memory_out:.0%}" if memory_out else ""]
            for k in others:
                ratio = _ratio(r, k)
                cells += [_fmt_time(r["times"].get(k)), f"{ratio:.1f}" if ratio else ""]
            flag = "" if r["agree"] else " (values disagree!)"
            out.append("| " + " | ".join(cells) + f" |{flag}")
    return "\n".join(out) + "\n"


def plot(rows, bw, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pointwise = [name for name in POINTWISE]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for column, dtype in enumerate(("float32", "float64")):
        ax = axes[0, column]
        sizes = sorted({n for (d, n) in bw if d == dtype})
        ax.plot(sizes, [bw[(dtype, n)]["triad"] for n in sizes], "k--", label="triad (bandwidth at that size)")
        ax.axhline(bw[(dtype, MEMORY_ELEMENTS)]["triad"], color="k", lw=0.8, ls=":", label="memory bandwidth")
        for name in pointwise:
            sub = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"]
            ax.plot([r["n"] for r in sub], [_bw_share(r, bw)[0] for r in sub], "o-", label=f"lossjit {name}")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="GB/s",
               title=f"value+grad {dtype}: lossjit GB/s against triad")
        ax.legend(fontsize=7)
        ax = axes[1, column]
        for name in pointwise:
            for other, style in (("numpy", "o-"), ("torch", "s--")):
                sub = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"
                       and other in r["times"]]
                if sub:
                    ax.plot([r["n"] for r in sub], [_ratio(r, other) for r in sub], style,
                            label=f"{name} vs {other}")
        ax.axhline(4, color="k", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="speed-up (x)",
               title=f"value+grad {dtype}: lossjit speed-up over NumPy and PyTorch")
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


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
    sizes = QUICK_SIZES if args.quick else POINTWISE_SIZES
    shapes = QUICK_SHAPES if args.quick else SOFTMAX_SHAPES
    bw = {}
    for dtype in DTYPES:
        for n in sorted(set(sizes) | {a * b for a, b in shapes} | {MEMORY_ELEMENTS}):
            bw[(np.dtype(dtype).name, n)] = bandwidth(n, dtype, budget)
            print(f"bandwidth {np.dtype(dtype).name} {n:,}:",
                  {k: f"{v:.1f} GB/s" for k, v in bw[(np.dtype(dtype).name, n)].items()}, flush=True)
    rows = []
    for name in POINTWISE:
        for dtype in DTYPES:
            for n in sizes:
                rows += bench_pointwise(name, n, dtype, budget, rng)
                print(name, np.dtype(dtype).name, f"{n:.0e}",
                      {r["mode"]: {k: f"{v:.2e}" for k, v in r["times"].items()} for r in rows[-2:]}, flush=True)
    for name in POINTWISE:
        for dtype in DTYPES:
            rows.append(bench_elementwise(name, CATALOGUE_SIZE, dtype, budget, rng))
            print(name, np.dtype(dtype).name, 'reduction="none"',
                  {k: f"{v:.2e}" for k, v in rows[-1]["times"].items()}, flush=True)
    for name in CATALOGUE:
        for dtype in DTYPES:
            rows += bench_pointwise(name, CATALOGUE_SIZE, dtype, budget, rng, CATALOGUE)
            print(name, np.dtype(dtype).name, {r["mode"]: {k: f"{v:.2e}" for k, v in r["times"].items()}
                                               for r in rows[-2:]}, flush=True)
    for loss, (_, numpy_losses, _) in SOFTMAX_LOSSES.items():
        for kind in numpy_losses:
            for dtype in DTYPES:
                for shape in shapes:
                    rows += bench_softmax(shape, dtype, budget, rng, kind, loss)
                    print(f"{loss}({kind})", np.dtype(dtype).name, shape, flush=True)
    rows += bench_ctc(budget, rng, args.quick)
    bw = best_memory_bandwidth(bw, rows)
    over = overheads(3 if args.quick else 7)
    checks = targets(rows, bw, over)
    (args.out / "RESULTS.md").write_text(markdown(env, bw, rows, over, checks, args.quick))
    (args.out / "results.json").write_text(json.dumps(
        {"environment": env, "bandwidth": {f"{d} {n}": v for (d, n), v in bw.items()}, "rows": rows,
         "overheads": over}, indent=1, default=str))
    plot(rows, bw, args.out / "speed.png")
    for label, figure, ok in checks:
        print(f"{'met ' if ok else 'MISS'} {label}: {figure}")
    print(f"wrote {args.out / 'RESULTS.md'} and speed.png")


if __name__ == "__main__":
    main()
