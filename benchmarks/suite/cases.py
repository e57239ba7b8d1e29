"""What is timed: which losses, sizes and shapes, against which peers, and the rows each case gives.

A row is a dict: ``loss``, ``dtype``, ``n`` (elements; ``shape`` for softmax and CTC), ``mode``
(``value``, ``value+grad`` or ``losses ("none")``), ``times`` (best seconds per call by library),
``bytes`` (moved by the call; None for CTC) and ``agree`` (lossjit's value against the peer's);
pointwise rows also ``stream`` (their STREAM kernel timed in their rounds, or None).

This VM's memory speed drifts by up to 2x over minutes, so a kernel timed once at
the start is a poor yardstick for a loss timed ten minutes later. From
``STREAM_IN_ROUNDS`` elements the pointwise rows therefore time their STREAM
kernel (on the loss's own inputs) in the same rounds as the libraries, and
``% bw`` uses that; the memory bandwidth is the best figure on
``MEMORY_ELEMENTS`` elements anywhere in the run.
"""

import numpy as np

import lossjit as lj

from . import peers
from .measure import best_times, read2, triad
from .peers import sk, torch

POINTWISE_SIZES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
QUICK_SIZES = [10**3, 10**5, 10**6]
SOFTMAX_SHAPES = [(64, 10), (1024, 100), (4096, 1000), (1024, 32000), (4096, 32000)]
QUICK_SHAPES = [(64, 10), (1024, 1000)]
SKLEARN_MAX_ELEMENTS = 10**7  # its input checks (np.unique of the labels) make larger sizes minutes long
OUT = "lossjit out="  # lossjit value+grad into a reused gradient buffer
STREAM_IN_ROUNDS = 10**6  # from here pointwise rows time their STREAM kernel in their own rounds
STREAM = "stream"  # that kernel's key in a row's times (moved to row["stream"] after timing)
DTYPES = (np.float32, np.float64)

POINTWISE = {
    # name: (lossjit loss, NumPy formula, torch.nn.functional name, sklearn.metrics name, data kind, options)
    "mse": (lj.mse, peers.mse, "mse_loss", "mean_squared_error", "regression", {}),
    "mae": (lj.mae, peers.mae, "l1_loss", "mean_absolute_error", "regression", {}),
    "huber": (lj.huber, peers.huber, "huber_loss", None, "regression", {}),
    "binary_cross_entropy(from_logits)": (lj.binary_cross_entropy, peers.bce_logits,
                                          "binary_cross_entropy_with_logits", None, "logits", {"from_logits": True}),
    "binary_cross_entropy(probabilities)": (lj.binary_cross_entropy, peers.bce_probabilities,
                                            "binary_cross_entropy", "log_loss", "probabilities", {}),
}

#: The rest of the pointwise catalogue, against its NumPy formula only, at CATALOGUE_SIZE elements.
CATALOGUE = {
    "log_cosh": (lj.log_cosh, peers.log_cosh, None, None, "regression", {}),
    "quantile": (lj.quantile, peers.quantile, None, None, "regression", {}),
    "poisson(log_input)": (lj.poisson, peers.poisson_log, None, None, "counts", {}),
    "smooth_l1": (lj.smooth_l1, peers.smooth_l1, None, None, "regression", {}),
    "focal": (lj.focal, peers.focal, None, None, "probabilities", {}),
    "hinge": (lj.hinge, peers.hinge, None, None, "scores", {}),
    "squared_hinge": (lj.squared_hinge, peers.squared_hinge, None, None, "scores", {}),
    "kl_divergence": (lj.kl_divergence, peers.kl_divergence, None, None, "probabilities", {}),
}
CATALOGUE_SIZE = 10**6

#: Per-element losses (``reduction="none"``) of the main pointwise losses, in NumPy.
ELEMENTWISE = {
    "mse": peers.mse_losses,
    "mae": peers.mae_losses,
    "huber": peers.huber_losses,
    "binary_cross_entropy(from_logits)": peers.bce_logits_losses,
    "binary_cross_entropy(probabilities)": peers.bce_probabilities_losses,
}

#: name -> (lossjit's loss, NumPy's formula per kind of target, whether torch has it)
SOFTMAX_LOSSES = {
    "cross_entropy": (lj.cross_entropy, {"labels": peers.cross_entropy, "probabilities": peers.soft_cross_entropy},
                      True),
    "softmax_focal": (lj.softmax_focal, {"labels": peers.softmax_focal}, False),  # gamma 2, torch has none
}


def pointwise_data(kind, n, dtype, rng):
    """(targets, predictions) of ``n`` elements for a data kind of the tables above."""
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
    y, p = pointwise_data(data_kind, n, dtype, rng)
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
            calls["torch"] = peers.torch_loss(torch_name, y, p, grad)
        if grad:  # the same call into one reused buffer: no new gradient pages to fault in
            buffer = np.empty_like(p)
            calls[OUT] = lambda: loss.value_and_grad(y, p, out=buffer, **options)
        if n >= STREAM_IN_ROUNDS:  # the same streams over the same arrays, in the same rounds
            if grad:
                calls[STREAM] = lambda: triad(buffer, y, p, dtype(0.5))
            else:
                calls[STREAM] = lambda: read2(y, p)
        times = best_times(calls, budget)
        rows.append({"loss": name, "dtype": np.dtype(dtype).name, "n": n, "mode": mode, "times": times,
                     "stream": times.pop(STREAM, None),
                     "bytes": (3 if grad else 2) * n * np.dtype(dtype).itemsize, "agree": bool(agree)})
    return rows


def bench_elementwise(name, n, dtype, budget, rng):
    """A row of seconds per call of the per-element losses (``reduction="none"``) for one loss."""
    loss, _, torch_name, _, data_kind, options = POINTWISE[name]
    y, p = pointwise_data(data_kind, n, dtype, rng)
    numpy_fn = ELEMENTWISE[name]
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    agree = bool(np.allclose(loss(y, p, reduction="none", **options), numpy_fn(y, p), rtol=tolerance, atol=tolerance))
    calls = {"lossjit": lambda: loss(y, p, reduction="none", **options), "numpy": lambda: numpy_fn(y, p)}
    if torch is not None and torch_name:
        calls["torch"] = peers.torch_losses(torch_name, y, p)
    return {"loss": name, "dtype": np.dtype(dtype).name, "n": n, "mode": 'losses ("none")',
            "times": best_times(calls, budget), "bytes": 3 * n * np.dtype(dtype).itemsize, "agree": agree}


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
            calls["torch"] = peers.torch_cross_entropy(y_true, z, grad)
        times = best_times(calls, budget)
        arrays = (2 if grad else 1) + (kind != "labels")  # logits, the targets' array, the gradient
        rows.append({"loss": f"{loss}({kind}, logits)", "dtype": np.dtype(dtype).name,
                     "n": n_rows * n_classes, "shape": list(shape), "mode": mode, "times": times,
                     "bytes": arrays * n_rows * n_classes * np.dtype(dtype).itemsize,
                     "agree": bool(agree)})
    return rows


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
        reference = peers.torch_ctc(logits, targets, **lengths, grad=False)()
        value = float(lj.ctc(targets, logits, **lengths))
        agree = abs(value - reference) <= 1e-4 * max(1.0, abs(reference))
        for mode in ("value", "value+grad"):
            grad = mode == "value+grad"
            if grad:
                def run_lossjit():
                    return lj.ctc.value_and_grad(targets, logits, **lengths)
            else:
                def run_lossjit():
                    return lj.ctc(targets, logits, **lengths)
            run_torch = peers.torch_ctc(logits, targets, **lengths, grad=grad)
            times = best_times({"lossjit": run_lossjit, "torch": run_torch}, budget)
            rows.append({"loss": "ctc (logits, float32)", "dtype": "float32", "n": logits.size,
                         "shape": [time_steps, batch, n_classes], "mode": mode, "times": times,
                         "bytes": None, "agree": bool(agree)})
    return rows


def run_all(sizes, shapes, budget, rng, quick):
    """Every case in the run's order, with a progress line each; the rows."""
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
    rows += bench_ctc(budget, rng, quick)
    return rows
