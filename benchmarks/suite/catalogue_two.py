"""Catalogue two against PyTorch CPU (issue 25): embedding losses, the value and every input's gradient.

Each row times, in the interleaved rounds of ``measure.best_times``, lossjit's ``value_and_grad`` writing
the gradients into reused ``out=`` buffers (key ``lossjit``) against torch's forward and
``torch.autograd.grad`` for every differentiable input (key ``torch``, ``peers.torch_*``), on the same
arrays. Before timing, the two are compared: the values to ``VALUE_RTOL`` (relative, floor 1 as in the
rest of the suite), each gradient to ``GRAD_RTOL`` of the largest element of torch's gradient.

A row is a dict: ``loss`` (with its non-default options), ``dtype``, ``shape`` (of each embedding array),
``mode`` (``value+grad``), ``times``, ``ratio`` (torch / lossjit: above 1, lossjit is faster), ``agree``,
``value`` and ``torch_value``, ``grad_error`` (the largest difference between a lossjit and a torch
gradient over the largest element of torch's). The quick run uses the same shapes: every call takes well
under a second.
"""

import numpy as np

import lossjit as lj

from . import peers
from .measure import best_times

INFO_NCE_SHAPE = (4096, 256)  # issue 25's shapes, both float32
EMBEDDING_SHAPE = (65536, 128)
DTYPES = (np.float32,)
#: Their calls take 10-400 ms, near or past the suite's budget per function (0.15 s quick, 0.4 s full),
#: where best_times falls back to 2 rounds of one call: these rows get BUDGET_FACTOR times the budget.
BUDGET_FACTOR = 8
VALUE_RTOL = {"float32": 1e-4, "float64": 1e-9}
GRAD_RTOL = {"float32": 1e-3, "float64": 1e-7}


def _row(loss, dtype, shape, lossjit_call, torch_call, budget):
    """Compare the two calls' values and gradients, then time them in interleaved rounds."""
    dtype = np.dtype(dtype).name
    value, grads = lossjit_call()  # also compiles (or loads) lossjit's kernels and warms both
    value = float(value)
    torch_value, torch_grads = torch_call()
    grad_error = 0.0
    for grad, torch_grad in zip(grads, torch_grads, strict=True):
        torch_grad = torch_grad.numpy()
        scale = max(float(np.abs(torch_grad).max()), np.finfo(torch_grad.dtype).tiny)
        grad_error = max(grad_error, float(np.abs(grad - torch_grad).max()) / scale)
    agree = (abs(value - torch_value) <= VALUE_RTOL[dtype] * max(1.0, abs(torch_value))
             and grad_error <= GRAD_RTOL[dtype])
    times = best_times({"lossjit": lossjit_call, "torch": torch_call}, budget)
    return {"loss": loss, "dtype": dtype, "shape": list(shape), "mode": "value+grad", "times": times,
            "ratio": times["torch"] / times["lossjit"], "agree": bool(agree), "value": value,
            "torch_value": float(torch_value), "grad_error": grad_error}


def bench_info_nce(shape, dtype, budget, rng, symmetric=False):
    """``lj.info_nce`` (temperature 0.07) of x1 and x2 = x1 + noise against ``peers.torch_info_nce``."""
    x1 = rng.standard_normal(shape).astype(dtype)
    x2 = (x1 + 0.5 * rng.standard_normal(shape)).astype(dtype)
    out = (np.empty_like(x1), np.empty_like(x2))
    options = {"symmetric": True} if symmetric else {}

    def lossjit():
        return lj.info_nce.value_and_grad(x1, x2, out=out, **options)
    return _row("info_nce(symmetric=True)" if symmetric else "info_nce", dtype, shape, lossjit,
                peers.torch_info_nce(x1, x2, symmetric=symmetric), budget)


def bench_triplet(shape, dtype, budget, rng):
    """``lj.triplet_margin`` (margin 1, p 2) of anchor, positive and negative against ``F.triplet_margin_loss``."""
    arrays = tuple(rng.standard_normal(shape).astype(dtype) for _ in range(3))
    out = tuple(np.empty_like(x) for x in arrays)

    def lossjit():
        return lj.triplet_margin.value_and_grad(*arrays, out=out)
    return _row("triplet_margin", dtype, shape, lossjit, peers.torch_triplet_margin(*arrays), budget)


def bench_cosine(shape, dtype, budget, rng):
    """``lj.cosine_embedding`` (margin 0) of labels +1 / -1, x1 and x2 against ``F.cosine_embedding_loss``."""
    x1, x2 = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    labels = np.where(rng.random(shape[0]) < 0.5, 1, -1)
    out = (np.empty_like(x1), np.empty_like(x2))

    def lossjit():
        return lj.cosine_embedding.value_and_grad(labels, x1, x2, out=out)
    return _row("cosine_embedding", dtype, shape, lossjit, peers.torch_cosine_embedding(labels, x1, x2), budget)


def run_all(budget, rng, info_nce_shape=INFO_NCE_SHAPE, embedding_shape=EMBEDDING_SHAPE):
    """Every row (none without torch), with a progress line each."""
    if peers.torch is None:
        return []
    budget *= BUDGET_FACTOR
    cases = [(bench_info_nce, info_nce_shape, {}), (bench_info_nce, info_nce_shape, {"symmetric": True}),
             (bench_triplet, embedding_shape, {}), (bench_cosine, embedding_shape, {})]
    rows = []
    for dtype in DTYPES:
        for bench, shape, options in cases:
            row = bench(shape, dtype, budget, rng, **options)
            print(row["loss"], row["dtype"], tuple(row["shape"]), {k: f"{v:.2e}" for k, v in row["times"].items()},
                  f"torch / lossjit {row['ratio']:.2f}", "" if row["agree"] else "(values disagree!)", flush=True)
            rows.append(row)
    return rows
