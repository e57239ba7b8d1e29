"""mse, mae and huber against float64 NumPy references and finite differences."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import reference
from checks import check_pointwise, hessian_by_differences, tolerance
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD

# Huber deltas exact in float32, so the float32 kernel and the reference share the kink.
LOSSES = [
    pytest.param(lj.mse, {}, id="mse"),
    pytest.param(lj.mae, {}, id="mae"),
    pytest.param(lj.huber, {}, id="huber"),
    pytest.param(lj.huber, {"delta": 0.25}, id="huber-0.25"),
    pytest.param(lj.huber, {"delta": 3}, id="huber-3"),
]


def pair(rng, shape, dtype=np.float64, spread=3.0):
    y_true = rng.normal(size=shape).astype(dtype)
    y_pred = (y_true + spread * rng.normal(size=shape)).astype(dtype)
    return y_true, y_pred


def away_from_kinks(y_true, y_pred, delta=1.0, gap=1e-3):
    """True where the residual is at least ``gap`` from 0 and from +-delta (mae and huber kinks)."""
    d = np.abs(np.asarray(y_pred, dtype=np.float64) - y_true)
    return (d > gap) & (np.abs(d - delta) > gap)


@pytest.mark.parametrize("loss, options", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "full", "rows"])
def test_matches_reference(loss, options, dtype, weighting, rng):
    y_true, y_pred = pair(rng, (7, 5), dtype)
    sample_weight = {None: None, "full": rng.uniform(0, 2, (7, 5)), "rows": rng.uniform(0, 2, 7)}[weighting]
    check_pointwise(loss, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("loss, options", LOSSES)
@given(data=st.data())
def test_random_inputs(loss, options, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), label="shape")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    values = st.floats(-1e3, 1e3, width=np.dtype(dtype).itemsize * 8)
    y_true = data.draw(hnp.arrays(dtype, shape, elements=values), label="y_true")
    y_pred = data.draw(hnp.arrays(dtype, shape, elements=values), label="y_pred")
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, shape[:1], elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    check_pointwise(loss, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_gradient_by_finite_differences(loss, options, rng):
    y_true, y_pred = pair(rng, (4, 3))
    smooth = away_from_kinks(y_true, y_pred, options.get("delta", 1.0))
    sample_weight = rng.uniform(0.5, 2.0, 4)
    numerical = reference.numerical_grad(
        lambda p: float(loss(y_true, p, sample_weight=sample_weight, **options)), y_pred)
    grad = loss.grad(y_true, y_pred, sample_weight=sample_weight, **options)
    assert smooth.sum() >= 8
    assert_allclose(grad[smooth], numerical[smooth], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_hessian_by_finite_differences(loss, options, rng):
    y_true, y_pred = pair(rng, 40)
    smooth = away_from_kinks(y_true, y_pred, options.get("delta", 1.0))
    numerical = hessian_by_differences(loss, y_true, y_pred, **options)
    hessian = loss.hessian(y_true, y_pred, reduction="sum", **options)
    assert_allclose(hessian[smooth], numerical[smooth], rtol=1e-6, atol=1e-6)


def test_known_values():
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.5, 2.0, 2.0, 5.0])
    assert lj.mse(y_true, y_pred) == 0.5625
    assert lj.mae(y_true, y_pred) == 0.625
    assert lj.huber(y_true, y_pred, delta=0.5, reduction="sum") == 0.125 + 0 + 0.375 + 0.375
    assert_array_equal(lj.mse.grad(y_true, y_pred), [0.25, 0.0, -0.5, 0.5])
    assert_array_equal(lj.mae.grad(y_true, y_pred), [0.25, 0.0, -0.25, 0.25])
    assert_array_equal(lj.huber.hessian(y_true, y_pred, delta=0.5, reduction="none"), [1.0, 1.0, 0.0, 0.0])


def test_mean_is_weighted_average_and_weight_scale_free(rng):
    y_true, y_pred = pair(rng, (6, 2))
    weights = rng.uniform(0.1, 3.0, 6)
    value = lj.mse(y_true, y_pred, sample_weight=weights)
    per_element = (y_pred - y_true) ** 2
    assert_allclose(value, np.average(per_element.mean(axis=1), weights=weights), rtol=1e-12)
    assert_allclose(lj.mse(y_true, y_pred, sample_weight=10 * weights), value, rtol=1e-12)
    zero_weighted = lj.mse(y_true, y_pred, sample_weight=np.r_[0.0, np.ones(5)])
    assert_allclose(zero_weighted, per_element[1:].mean(), rtol=1e-12)


@pytest.mark.parametrize("loss, options", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [BLOCK_SIZE * 2 + 77, PARALLEL_THRESHOLD + BLOCK_SIZE * 3 + 77])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_block_sizes(loss, options, dtype, n, weighted, rng):
    """Several blocks, serially below PARALLEL_THRESHOLD and with prange above (not a multiple of
    the block), weighted and through the unweighted loops of the hot kinds."""
    y_true, y_pred = pair(rng, n, dtype)
    weights = rng.uniform(0, 2, n) if weighted else None
    check_pointwise(loss, y_true, y_pred, dtype=dtype, sample_weight=weights, **options)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_nan_propagates_where_it_is(loss, options, rng):
    for nan_in in ("y_true", "y_pred"):
        y_true, y_pred = pair(rng, (3, 4))
        {"y_true": y_true, "y_pred": y_pred}[nan_in][1, 2] = np.nan
        affected = np.zeros((3, 4), bool)
        affected[1, 2] = True
        value, grad = loss.value_and_grad(y_true, y_pred, **options)
        assert np.isnan(value)
        assert_array_equal(np.isnan(grad), affected)
        assert_array_equal(np.isnan(loss(y_true, y_pred, reduction="none", **options)), affected)
        assert_array_equal(np.isnan(loss.hessian(y_true, y_pred, **options)), affected)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_non_contiguous_and_fortran_inputs(loss, options, rng):
    y_true, y_pred = pair(rng, (9, 8))
    weights = rng.uniform(0.5, 2.0, (9, 8))
    layouts = {
        "strided": (y_true[::2, 1::3], y_pred[::2, 1::3], weights[::2, 1::3]),
        "fortran": (np.asfortranarray(y_true), np.asfortranarray(y_pred), np.asfortranarray(weights)),
        "transposed": (y_true.T, y_pred.T, weights.T),
        "reversed": (y_true[::-1], y_pred[::-1], weights[::-1]),
    }
    for y_t, y_p, w in layouts.values():
        assert not (y_p.flags.c_contiguous and w.flags.c_contiguous)
        contiguous = [np.ascontiguousarray(a) for a in (y_t, y_p, w)]
        value, grad = loss.value_and_grad(y_t, y_p, sample_weight=w, **options)
        expected_value, expected_grad = loss.value_and_grad(*contiguous[:2], sample_weight=contiguous[2], **options)
        assert value == expected_value
        assert_array_equal(grad, expected_grad)
        check_pointwise(loss, y_t, y_p, dtype=np.float64, sample_weight=w, **options)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_int_and_bool_inputs(loss, options):
    y_true = np.array([[0, 1, 5], [2, -3, 4]])
    y_pred = np.array([[True, False, True], [False, True, True]])
    check_pointwise(loss, y_true, y_pred, dtype=np.float64, **options)
    check_pointwise(loss, y_true, y_true.astype(np.float32) / 3, dtype=np.float32, **options)
    check_pointwise(loss, y_true.astype(np.float16), y_pred, dtype=np.float32, **options)
    check_pointwise(loss, y_true.tolist(), y_pred.tolist(), dtype=np.float64, **options)


@pytest.mark.parametrize("loss, options", LOSSES)
def test_mixed_float_dtypes_compute_in_float64(loss, options, rng):
    y_true, y_pred = pair(rng, 10)
    value = loss(y_true.astype(np.float32), y_pred, **options)
    assert value.dtype == np.float64
    assert value == loss(y_true.astype(np.float32).astype(np.float64), y_pred, **options)


def test_reduced_results_are_numpy_scalars_and_losses_have_a_repr():
    value = lj.mse([1.0, 2.0], [1.0, 4.0])
    assert isinstance(value, np.float64) and value == 2.0
    assert isinstance(lj.mse(np.float32([1.0]), np.float32([3.0])), np.float32)
    assert repr(lj.huber) == "<lossjit loss huber>"


def test_scalar_inputs():
    assert lj.mse(2.0, 5.0) == 9.0
    assert lj.mse.grad(2.0, 5.0).shape == ()
    assert lj.huber(0.0, -3.0, delta=2.0) == 4.0


@pytest.mark.skipif(numba.config.DISABLE_JIT,
                    reason="without the JIT, NumPy 2 makes python float + float32 a float32 (NEP 50)")
def test_float32_large_sum_accumulates_in_float64():
    n = 1_000_001
    y_true = np.zeros(n, np.float32)
    y_pred = np.full(n, np.float32(0.1))
    expected = float(np.float32(0.1)) ** 2
    assert_allclose(lj.mse(y_true, y_pred), np.float32(np.float32(0.1) * np.float32(0.1)), **tolerance(np.float32))
    assert_allclose(lj.mse(y_true, y_pred, reduction="sum"), n * expected, rtol=1e-6)
