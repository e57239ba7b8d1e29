"""Gaussian and Laplace negative log-likelihoods (lossjit/probabilistic.py, lossjit/_kernels/paired.py) against
float64 NumPy references, torch's gaussian_nll_loss (when torch is installed) and finite differences."""

import inspect
import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels import paired
from lossjit.probabilistic import gaussian_nll, laplace_nll

LOSSES = {"gaussian_nll": gaussian_nll, "laplace_nll": laplace_nll}


def per_sample_spread(spread, shape):
    """The spread repeated over each sample's features when it has one value per sample."""
    return spread.reshape(shape[:-1] + (1,)) if spread.shape != shape else spread


def reference(name, y, a, b, eps=1e-6, full=False):
    """(per-element losses, dl/da, dl/db per element) in float64."""
    y, a = y.astype(np.float64), a.astype(np.float64)
    b = np.maximum(per_sample_spread(b.astype(np.float64), a.shape), eps)
    d = a - y
    if name == "gaussian_nll":
        losses = 0.5 * (np.log(b) + d * d / b) + (0.5 * math.log(2 * math.pi) if full else 0.0)
        return losses, d / b, 0.5 * (1 / b - d * d / b**2)
    losses = np.log(b) + np.abs(d) / b + (math.log(2) if full else 0.0)
    return losses, np.sign(d) / b, (1 - np.abs(d) / b) / b


def reduce_reference(name, y, a, b, weights=None, reduction="mean", **options):
    losses, d_a, d_b = reference(name, y, a, b, **options)
    w = np.ones(a.shape) if weights is None else np.broadcast_to(
        weights.reshape(weights.shape + (1,) * (a.ndim - weights.ndim)), a.shape)
    scale = 1 / w.sum() if reduction == "mean" else 1.0
    grad_b = (w * d_b * scale).reshape(a.shape)
    if b.shape != a.shape:
        grad_b = grad_b.sum(axis=-1).reshape(b.shape)
    value = (w * losses).sum() * scale if reduction != "none" else w * losses
    return value, w * d_a * scale, grad_b


def inputs(shape=(40, 5), spread_shape=None, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    a = y + rng.normal(size=shape)
    b = rng.uniform(0.05, 3.0, size=spread_shape or shape)
    return y.astype(dtype), a.astype(dtype), b.astype(dtype)


SPREAD_SHAPES = [(40, 5), (40,), (40, 1)]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("spread_shape", SPREAD_SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
def test_matches_the_float64_reference(name, spread_shape, reduction, full):
    y, a, b = inputs(spread_shape=spread_shape)
    b[0] = 1e-9  # clamped to eps
    value, (grad_a, grad_b) = LOSSES[name].value_and_grad(y, a, b, reduction=reduction, full=full)
    expected, expected_a, expected_b = reduce_reference(name, y, a, b, reduction=reduction, full=full)
    assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    assert_allclose(grad_a, expected_a, rtol=1e-12, atol=1e-15)
    assert_allclose(grad_b, expected_b, rtol=1e-12, atol=1e-15)
    assert grad_a.shape == a.shape and grad_b.shape == b.shape


@pytest.mark.parametrize("spread_shape", SPREAD_SHAPES)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("eps", [1e-6, 0.5])
def test_gaussian_agrees_with_torch(spread_shape, full, eps):
    torch = pytest.importorskip("torch")
    y, a, b = inputs(spread_shape=spread_shape, seed=3)
    b.flat[:3] = [0.0, 1e-8, 0.4]  # below eps and near it
    mean, variance = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.nn.functional.gaussian_nll_loss(mean, torch.tensor(y), variance, full=full, eps=eps)
    expected.backward()
    value, (grad_mean, grad_variance) = gaussian_nll.value_and_grad(y, a, b, full=full, eps=eps)
    assert abs(value - expected.item()) <= 1e-10 * max(1.0, abs(expected.item()))
    assert_allclose(grad_mean, mean.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert_allclose(grad_variance, variance.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("spread_shape", [(30, 4), (30,)])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_pass_finite_differences(name, spread_shape, reduction):
    y, a, b = inputs((30, 4), spread_shape, seed=5)
    assert lj.check_grad(LOSSES[name], y, a, b, reduction=reduction, full=True) < 1e-6


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 7), st.booleans(), st.integers(0, 2**32 - 1),
       st.sampled_from(list(LOSSES)))
def test_random_shapes_match_the_reference(n, d, per_sample, seed, name):
    y, a, b = inputs((n, d), (n,) if per_sample else (n, d), seed=seed)
    weights = np.random.default_rng(seed).uniform(0, 2, n)
    value, (grad_a, grad_b) = LOSSES[name].value_and_grad(y, a, b, sample_weight=weights, reduction="sum")
    expected, expected_a, expected_b = reduce_reference(name, y, a, b, weights, reduction="sum")
    assert_allclose(value, expected, rtol=1e-11)
    assert_allclose(grad_a, expected_a, rtol=1e-11, atol=1e-15)
    assert_allclose(grad_b, expected_b, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("spread_shape", [(20000, 3), (20000,)])
def test_float32_is_computed_in_float32_and_close_to_float64(name, spread_shape):
    y, a, b = inputs((20000, 3), spread_shape, dtype=np.float32)
    value, (grad_a, grad_b) = LOSSES[name].value_and_grad(y, a, b)
    assert value.dtype == grad_a.dtype == grad_b.dtype == np.float32
    expected, expected_a, expected_b = reduce_reference(name, y, a, b)
    assert_allclose(value, expected, rtol=1e-5)
    assert_allclose(grad_a, expected_a, rtol=2e-5, atol=1e-10)
    assert_allclose(grad_b, expected_b, rtol=2e-4, atol=1e-9)


@pytest.mark.parametrize("name", LOSSES)
def test_parallel_path_is_bitwise_the_same_at_any_thread_count(name):
    shape = (PARALLEL_THRESHOLD // 3 + 1001, 3)
    y, a, b = inputs(shape, (shape[0],), seed=9)
    results = []
    threads = numba.get_num_threads()
    try:
        for count in (1, threads):
            numba.set_num_threads(count)
            results.append(LOSSES[name].value_and_grad(y, a, b))
    finally:
        numba.set_num_threads(threads)
    (v1, (a1, b1)), (v2, (a2, b2)) = results
    assert v1 == v2 and np.array_equal(a1, a2) and np.array_equal(b1, b2)
    expected, expected_a, expected_b = reduce_reference(name, y, a, b)
    assert_allclose(v1, expected, rtol=1e-12)
    assert_allclose(b1, expected_b, rtol=1e-10, atol=1e-18)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_value_is_the_same_with_or_without_the_gradient(name, dtype):
    for shape in [(50, 4), (PARALLEL_THRESHOLD // 4 + 77, 4)]:
        y, a, b = inputs(shape, (shape[0],), dtype=dtype)
        assert LOSSES[name].value_and_grad(y, a, b)[0] == LOSSES[name](y, a, b)


@pytest.mark.parametrize("name", LOSSES)
def test_read_only_memory_mapped_and_strided_inputs(name, tmp_path):
    y, a, b = inputs((64, 6), (64,))
    expected = LOSSES[name].value_and_grad(y, a, b)
    for k, array in enumerate((y, a, b)):
        np.save(tmp_path / f"{k}.npy", array)
    mapped = [np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in range(3)]
    result = LOSSES[name].value_and_grad(*mapped)
    assert result[0] == expected[0] and all(np.array_equal(g, e) for g, e in zip(result[1], expected[1]))
    wide = [np.repeat(array, 2, axis=0)[::2] for array in (y, a, b)]  # non-contiguous views
    assert LOSSES[name](*wide) == expected[0]
    if not numba.config.DISABLE_JIT:  # without the JIT (the coverage run) the kernels are Python functions
        kernel = paired.GAUSSIAN if name == "gaussian_nll" else paired.LAPLACE
        assert all(len(function.signatures) == 1 for function in kernel.compiled_functions(np.float64))


@pytest.mark.parametrize("name", LOSSES)
def test_nan_propagates(name):
    y, a, b = inputs((10, 2))
    a[3, 1] = np.nan
    assert np.isnan(LOSSES[name](y, a, b))
    b[4, 0] = np.nan
    losses = LOSSES[name](y, a, b, reduction="none")
    assert np.isnan(losses[3, 1]) and np.isnan(losses[4, 0]) and np.isfinite(losses[0]).all()


def test_out_receives_both_gradients():
    y, a, b = inputs((20, 3), (20,))
    out = (np.empty_like(a), np.empty_like(b))
    value, grads = gaussian_nll.value_and_grad(y, a, b, out=out)
    assert grads[0] is out[0] and grads[1] is out[1]
    expected = gaussian_nll.grad(y, a, b)
    assert np.array_equal(out[0], expected[0]) and np.array_equal(out[1], expected[1])


def test_sample_weight_per_sample_and_a_zero_sum_for_the_sum():
    y, a, b = inputs((20, 3), (20,))
    weights = np.arange(20.0)
    value = gaussian_nll(y, a, b, sample_weight=weights)
    assert_allclose(value, reduce_reference("gaussian_nll", y, a, b, weights)[0], rtol=1e-12)
    assert gaussian_nll(y, a, b, sample_weight=np.zeros(20), reduction="sum") == 0
    with pytest.raises(ValueError, match="sums to zero"):
        gaussian_nll(y, a, b, sample_weight=np.zeros(20))


def test_bad_input_is_named():
    y, a, b = inputs((6, 2))
    with pytest.raises(ValueError, match="variance must lie in"):
        gaussian_nll(y, a, -b)
    with pytest.raises(ValueError, match="variance has shape"):
        gaussian_nll(y, a, b[:, :1].T)
    with pytest.raises(ValueError, match="mean has shape"):
        gaussian_nll(y, a[:3], b)
    with pytest.raises(ValueError, match="eps must be"):
        gaussian_nll(y, a, b, eps=0.0)
    with pytest.raises(TypeError, match="full must be"):
        gaussian_nll(y, a, b, full="yes")
    with pytest.raises(ValueError, match="scale must lie in"):
        laplace_nll(y, a, -b)
    with pytest.raises(ValueError, match="location is empty"):
        laplace_nll(y[:0], a[:0], b[:0])
    with pytest.raises(TypeError, match="takes 3 arrays"):
        gaussian_nll(y, a)
    with pytest.raises(TypeError, match="unexpected keyword"):
        gaussian_nll(y, a, b, delta=1.0)
    with pytest.raises(TypeError, match="tuple of 2 arrays"):
        gaussian_nll.grad(y, a, b, out=np.empty_like(a))
    with pytest.raises(ValueError, match="out for variance must have"):
        gaussian_nll.grad(y, a, b, out=(np.empty_like(a), np.empty(3)))
    with pytest.raises(ValueError, match="must not share memory with mean"):
        gaussian_nll.grad(y, a, b, out=(a, np.empty_like(b)))


def test_described_for_the_table():
    assert gaussian_nll.inputs == ("y_true", "mean", "variance")
    assert gaussian_nll.differentiable == ("mean", "variance")
    assert str(inspect.signature(gaussian_nll)).startswith("(y_true, mean, variance, *")


def test_dask_arrays_are_refused_by_name():
    da = pytest.importorskip("dask.array")
    y, a, b = inputs((6, 2))
    with pytest.raises(TypeError, match="variance is a Dask array"):
        gaussian_nll(y, a, da.from_array(b))
