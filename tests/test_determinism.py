"""Bitwise reproducibility: at any thread count, on repeated calls, wherever the output array lives.

For one input the kernel always takes the same path (serial below PARALLEL_THRESHOLD, prange
above), so these are the promises; the serial and prange loops are separate compiled copies
and may round a block differently in the last bit, which is not promised.
"""

import math

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from checks import at_threads
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD
from lossjit._kernels.pointwise import SUM_AND_GRAD

compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="thread counts mean nothing without the JIT")

N = PARALLEL_THRESHOLD + 2 * BLOCK_SIZE + 123  # parallel path, with a partial last block

POINTWISE = [
    pytest.param(lj.mse, {}, id="mse"),
    pytest.param(lj.mae, {}, id="mae"),
    pytest.param(lj.huber, {"delta": 0.5}, id="huber"),
    pytest.param(lj.binary_cross_entropy, {}, id="bce"),
    pytest.param(lj.binary_cross_entropy, {"from_logits": True}, id="bce-logits"),
]


def pointwise_inputs(loss, options, n=N, dtype=np.float64, seed=7):
    """(y_true, y_pred, sample_weight) valid for ``loss``: targets in [0, 1] for cross-entropy."""
    rng = np.random.default_rng(seed)
    if loss is not lj.binary_cross_entropy:
        y_true, y_pred = rng.normal(size=n), rng.normal(0, 2, n)
    elif options.get("from_logits"):
        y_true, y_pred = rng.uniform(0, 1, n), rng.normal(0, 2, n)
    else:
        y_true, y_pred = rng.uniform(0, 1, n), rng.uniform(0.01, 0.99, n)
    return y_true.astype(dtype), y_pred.astype(dtype), rng.uniform(0, 2, n)


def every_output(loss, y_true, y_pred, sample_weight, options):
    """Values and gradients of every entry point, as bytes."""
    outputs = []
    for weights in (None, sample_weight):
        for reduction in ("mean", "sum", "none"):
            kwargs = {"sample_weight": weights, "reduction": reduction, **options}
            value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
            outputs += [np.asarray(value).tobytes(), grad.tobytes(), np.asarray(loss(y_true, y_pred, **kwargs)).tobytes()]
            if isinstance(loss, lj.PointwiseLoss):
                outputs.append(loss.hessian(y_true, y_pred, **kwargs).tobytes())
    return outputs


@compiled_only
@pytest.mark.parametrize("loss, options", POINTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pointwise_identical_at_one_and_two_threads(loss, options, dtype):
    assert numba.config.NUMBA_NUM_THREADS >= 2
    y_true, y_pred, weights = pointwise_inputs(loss, options, dtype=dtype)
    one = at_threads(1, lambda: every_output(loss, y_true, y_pred, weights, options))
    two = at_threads(2, lambda: every_output(loss, y_true, y_pred, weights, options))
    assert one == two


def cross_entropy_inputs(n_classes, dtype=np.float64, seed=8):
    rng = np.random.default_rng(seed)
    n_rows = N // n_classes + 5
    logits = rng.normal(0, 3, (n_rows, n_classes)).astype(dtype)
    labels = rng.integers(0, n_classes, n_rows)
    labels[::11] = -100
    return logits, labels, rng.uniform(0, 2, n_rows)


CE_OPTIONS = [
    pytest.param({"from_logits": True}, id="logits"),
    pytest.param({"from_logits": True, "class_weight": "random", "label_smoothing": 0.1}, id="weighted-smoothed"),
    pytest.param({"from_logits": False}, id="probabilities"),
]


def cross_entropy_options(options, n_classes, logits):
    options = dict(options)
    if options.get("class_weight") == "random":
        options["class_weight"] = np.linspace(0.5, 2.0, n_classes)
    y_pred = logits
    if not options["from_logits"]:
        y_pred = np.exp(logits - logits.max(axis=1, keepdims=True))
        y_pred = (y_pred / y_pred.sum(axis=1, keepdims=True)).astype(logits.dtype)
    return options, y_pred


@compiled_only
@pytest.mark.parametrize("options", CE_OPTIONS)
@pytest.mark.parametrize("n_classes", [10, 5000])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_identical_at_one_and_two_threads(options, n_classes, targets):
    logits, labels, weights = cross_entropy_inputs(n_classes)
    options, y_pred = cross_entropy_options(options, n_classes, logits)
    y_true = labels if targets == "labels" else np.eye(n_classes)[np.maximum(labels, 0)] * 0.9 + 0.1 / n_classes
    one = at_threads(1, lambda: every_output(lj.cross_entropy, y_true, y_pred, weights, options))
    two = at_threads(2, lambda: every_output(lj.cross_entropy, y_true, y_pred, weights, options))
    assert one == two


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_big_sums_match_exact_float64_sums(dtype):
    rng = np.random.default_rng(9)
    n = 2_000_003
    y_true = rng.normal(size=n).astype(dtype)
    y_pred = (y_true + rng.normal(size=n)).astype(dtype)
    d = y_pred.astype(np.float64) - y_true.astype(np.float64)
    assert_allclose(lj.mse(y_true, y_pred, reduction="sum"), math.fsum(d * d), rtol=1e-12 if dtype == np.float64 else 1e-6)
    assert_allclose(lj.mae(y_true, y_pred), math.fsum(np.abs(d)) / n, rtol=1e-12 if dtype == np.float64 else 1e-6)


def placed_after(source, gap):
    """A copy of ``source`` and an empty array of its size ``gap`` elements after it, in one buffer."""
    buffer = np.zeros(2 * source.size + gap + 8, source.dtype)
    copy = buffer[:source.size]
    copy[:] = source
    return copy, buffer[source.size + gap:2 * source.size + gap]


def placed_before(source, gap):
    """An empty array of ``source``'s size ending ``gap`` elements before a copy of ``source``."""
    buffer = np.zeros(2 * source.size + gap + 8, source.dtype)
    copy = buffer[source.size + gap:2 * source.size + gap]
    copy[:] = source
    return copy, buffer[:source.size]


@pytest.mark.parametrize("n_classes", [3, 4, 10, 17, 64])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_does_not_depend_on_where_grad_lives(n_classes, targets):
    """Regression: a loop that summed exp and stored it had two summation orders, picked by LLVM's
    runtime check of the distance between grad and y_pred."""
    rng = np.random.default_rng(n_classes)
    logits = rng.normal(0, 2, (7, n_classes))
    y_true = rng.integers(0, n_classes, 7) if targets == "labels" else rng.dirichlet(np.ones(n_classes), 7)
    job = lj.cross_entropy._job(y_true, logits, rng.uniform(0.5, 2, 7), "mean", {"from_logits": True})
    results = set()
    for place in (placed_after, placed_before):
        for gap in range(0, 40, 3):
            job.y_pred, grad = place(job.y_pred, gap)
            total = job._kernel(0.125, np.empty(0), grad)
            results.add((total, grad.tobytes()))
    assert len(results) == 1


@pytest.mark.parametrize("loss, options", POINTWISE)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n", [5, 12, 31, 1000])
def test_pointwise_does_not_depend_on_where_grad_lives(loss, options, weighted, n):
    """grad just after or before y_true or y_pred in memory, or anywhere else, must not change the sum or
    grad. Regression: the fused sum-and-gradient loop summed 12 elements in two orders, by where grad was."""
    y_true, y_pred, weights = pointwise_inputs(loss, options, n=n)
    job = loss._job(y_true, y_pred, weights if weighted else None, "mean", options)
    grad = np.empty(n, job.dtype)
    kernel = job.kernel[job.dtype]
    total = kernel(SUM_AND_GRAD, job.y_true, job.y_pred, job.weights, job.inner, job.params, job.dtype.type(0.5), grad)
    results = {(total, grad.tobytes())}
    for neighbour in ("y_true", "y_pred"):
        for place in (placed_after, placed_before):
            for gap in range(0, 40, 3):
                arrays = {"y_true": job.y_true, "y_pred": job.y_pred}
                arrays[neighbour], grad = place(arrays[neighbour], gap)
                total = kernel(SUM_AND_GRAD, arrays["y_true"], arrays["y_pred"], job.weights, job.inner, job.params,
                               job.dtype.type(0.5), grad)
                results.add((total, grad.tobytes()))
    assert len(results) == 1


def test_repeated_calls_are_identical():
    logits, labels, weights = cross_entropy_inputs(4, seed=10)
    small = (labels[:9], logits[:9], weights[:9])
    first = every_output(lj.cross_entropy, *small, {"from_logits": True})
    for _ in range(5):
        assert every_output(lj.cross_entropy, *small, {"from_logits": True}) == first
    y_true, y_pred, _ = pointwise_inputs(lj.mse, {}, n=1000)
    assert_array_equal(lj.mse.grad(y_true, y_pred), lj.mse.value_and_grad(y_true, y_pred)[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [4, 8])
def test_dice_repeats_to_the_bit_wherever_its_scratch_arrays_lie(dtype, n_classes):
    """Repeated calls with allocations between them give the same bits (dice.py's class sum has a loop of its
    own: beside stores, LLVM may pick a vector or a scalar copy of a loop by where its arrays lie)."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(3, n_classes, 5, 6)).astype(dtype)
    labels = rng.integers(0, n_classes, (3, 5, 6))
    results = set()
    for size in range(1, 60, 7):
        padding = np.empty(size)  # moves where the next allocations land
        value, grad = lj.dice.value_and_grad(labels, logits, from_logits=True)
        results.add((value.tobytes(), grad.tobytes()))
        del padding
    assert len(results) == 1
