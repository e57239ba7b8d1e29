"""The catalogue's pointwise losses against float64 NumPy references, finite differences and edge cases.

log_cosh, quantile, poisson, smooth_l1, binary_cross_entropy's pos_weight and
label_smoothing, focal, hinge, squared_hinge and kl_divergence.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import reference
from checks import REDUCTIONS, check_pointwise, tolerance
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._validation import count_outside, count_outside_serial


def _values(rng, shape):
    return rng.normal(size=shape), rng.normal(scale=2.0, size=shape)


def _counts(rng, shape):
    return rng.poisson(3.0, size=shape).astype(float), rng.normal(scale=1.5, size=shape)


def _counts_and_rates(rng, shape):
    return rng.poisson(3.0, size=shape).astype(float), rng.uniform(0.05, 6.0, size=shape)


def _labels_and_logits(rng, shape):
    return (rng.random(shape) < 0.4).astype(float), rng.normal(scale=3.0, size=shape)


def _labels_and_probabilities(rng, shape):
    return (rng.random(shape) < 0.4).astype(float), rng.uniform(0.02, 0.98, size=shape)


def _soft_labels_and_probabilities(rng, shape):
    return rng.uniform(0, 1, size=shape), rng.uniform(0.02, 0.98, size=shape)


def _signed_labels_and_scores(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0), rng.normal(scale=1.5, size=shape)


def _distributions(rng, shape):
    """Probabilities, a fifth of the targets exactly 0 (the 0 log 0 = 0 convention)."""
    y_true = np.where(rng.random(shape) < 0.2, 0.0, rng.uniform(0, 1, size=shape))
    return y_true, rng.uniform(0.01, 1, size=shape)


def _distributions_and_logs(rng, shape):
    y_true, y_pred = _distributions(rng, shape)
    return y_true, np.log(y_pred)


# (loss, options, data maker). Options are exact in float32, so both dtypes share the kinks.
CASES = [
    pytest.param(lj.log_cosh, {}, _values, id="log_cosh"),
    pytest.param(lj.quantile, {}, _values, id="quantile"),
    pytest.param(lj.quantile, {"q": 0.125}, _values, id="quantile-0.125"),
    pytest.param(lj.quantile, {"q": 0.875}, _values, id="quantile-0.875"),
    pytest.param(lj.poisson, {}, _counts, id="poisson-log"),
    pytest.param(lj.poisson, {"log_input": False}, _counts_and_rates, id="poisson-rate"),
    pytest.param(lj.smooth_l1, {}, _values, id="smooth_l1"),
    pytest.param(lj.smooth_l1, {"beta": 0.25}, _values, id="smooth_l1-0.25"),
    pytest.param(lj.smooth_l1, {"beta": 0.0}, _values, id="smooth_l1-0"),
    pytest.param(lj.binary_cross_entropy, {"from_logits": True, "pos_weight": 3.0}, _labels_and_logits,
                 id="bce-logits-pos_weight"),
    pytest.param(lj.binary_cross_entropy, {"from_logits": True, "label_smoothing": 0.25, "pos_weight": 0.5},
                 _labels_and_logits, id="bce-logits-smoothing"),
    pytest.param(lj.binary_cross_entropy, {"pos_weight": 2.5}, _labels_and_probabilities, id="bce-pos_weight"),
    pytest.param(lj.binary_cross_entropy, {"label_smoothing": 0.125}, _soft_labels_and_probabilities,
                 id="bce-smoothing"),
    pytest.param(lj.focal, {}, _labels_and_probabilities, id="focal"),
    pytest.param(lj.focal, {"gamma": 0.5, "alpha": 0.25}, _soft_labels_and_probabilities, id="focal-soft"),
    pytest.param(lj.focal, {"from_logits": True}, _labels_and_logits, id="focal-logits"),
    pytest.param(lj.focal, {"from_logits": True, "gamma": 0.25, "alpha": 0.75}, _labels_and_logits,
                 id="focal-logits-0.25"),
    pytest.param(lj.focal, {"from_logits": True, "gamma": 1.5}, _soft_labels_and_probabilities,
                 id="focal-logits-soft"),
    pytest.param(lj.hinge, {}, _signed_labels_and_scores, id="hinge"),
    pytest.param(lj.hinge, {}, _labels_and_logits, id="hinge-01"),
    pytest.param(lj.squared_hinge, {}, _signed_labels_and_scores, id="squared_hinge"),
    pytest.param(lj.squared_hinge, {}, _labels_and_logits, id="squared_hinge-01"),
    pytest.param(lj.kl_divergence, {}, _distributions, id="kl"),
    pytest.param(lj.kl_divergence, {"log_input": True}, _distributions_and_logs, id="kl-log"),
]

#: Where each loss has a kink (its derivative jumps): finite differences skip these.
KINKS = {
    "quantile": lambda y, p, o: np.abs(p - y),
    "smooth_l1": lambda y, p, o: np.minimum(np.abs(p - y), np.abs(np.abs(p - y) - o.get("beta", 1.0))),
    "hinge": lambda y, p, o: np.abs(1 - reference.signed_labels(y) * p),
    "squared_hinge": lambda y, p, o: np.abs(1 - reference.signed_labels(y) * p),
}


@pytest.mark.parametrize("loss, options, make", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "full", "rows"])
def test_matches_reference(loss, options, make, dtype, weighting, rng):
    y_true, y_pred = make(rng, (6, 5))
    sample_weight = {None: None, "full": rng.uniform(0, 2, (6, 5)), "rows": rng.uniform(0, 2, 6)}[weighting]
    check_pointwise(loss, y_true.astype(dtype), y_pred.astype(dtype), dtype=dtype, sample_weight=sample_weight,
                    **options)


@pytest.mark.parametrize("loss, options, make", CASES)
def test_gradient_and_hessian_by_finite_differences(loss, options, make, rng):
    y_true, y_pred = make(rng, (8, 5))
    if loss.name in KINKS:  # move points off the kinks, keeping labels and probabilities valid
        near = KINKS[loss.name](y_true, y_pred, options) < 1e-3
        y_pred = np.where(near, y_pred + 0.01, y_pred)
    sample_weight = rng.uniform(0.5, 2.0, 8)
    for reduction in REDUCTIONS:
        error = lj.check_grad(loss, y_true, y_pred, sample_weight=sample_weight, reduction=reduction,
                              n_elements=40, **options)
        assert error < 1e-6


@pytest.mark.parametrize("loss, options, make", CASES)
@given(data=st.data())
def test_random_inputs(loss, options, make, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), label="shape")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    y_true, y_pred = make(np.random.default_rng(seed), shape)
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, shape[:1], elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    check_pointwise(loss, y_true.astype(dtype), y_pred.astype(dtype), dtype=dtype, sample_weight=sample_weight,
                    **options)


@given(data=st.data())
def test_random_residuals_cover_every_scale(data):
    """Regression losses on residuals from 1e-6 to 1e4, where naive formulas lose digits or overflow."""
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    values = st.floats(-1e4, 1e4, width=np.dtype(dtype).itemsize * 8)
    y_pred = data.draw(hnp.arrays(dtype, 12, elements=values), label="y_pred")
    y_true = np.zeros(12, dtype)
    for loss, options in ((lj.log_cosh, {}), (lj.quantile, {"q": 0.25}), (lj.smooth_l1, {"beta": 2.0})):
        check_pointwise(loss, y_true, y_pred, dtype=dtype, **options)


@pytest.mark.parametrize("loss, options, make", CASES)
def test_nan_propagates_to_its_element(loss, options, make, rng):
    y_true, y_pred = make(rng, 6)
    y_pred[2] = np.nan
    assert np.isnan(loss(y_true, y_pred, **options))
    grad, hessian = loss.grad(y_true, y_pred, **options), loss.hessian(y_true, y_pred, **options)
    losses = loss(y_true, y_pred, reduction="none", **options)
    for values in (grad, hessian, losses):
        assert np.isnan(values[2])
        assert not np.isnan(np.delete(values, 2)).any()


@pytest.mark.parametrize("loss, options, make", CASES)
def test_non_contiguous_and_integer_inputs(loss, options, make, rng):
    y_true, y_pred = make(rng, (6, 4))
    expected = loss.value_and_grad(np.ascontiguousarray(y_true[:, ::2]), np.ascontiguousarray(y_pred[:, ::2]),
                                   **options)
    value, grad = loss.value_and_grad(y_true[:, ::2], y_pred[:, ::2], **options)
    assert value == expected[0]
    assert_array_equal(grad, expected[1])
    if np.all(y_true == np.round(y_true)):
        assert loss(y_true.astype(np.int64), y_pred, **options) == loss(y_true, y_pred, **options)


@pytest.mark.parametrize("loss, options, make", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", ["full", "rows"])
def test_weighted_parallel_path_matches_reference(loss, options, make, dtype, weighting, rng):
    """Weights per element and per row of 7 (runs that straddle the 4,096-element blocks), in parallel."""
    shape = (PARALLEL_THRESHOLD // 7 + 150, 7)
    y_true, y_pred = make(rng, shape)
    sample_weight = rng.uniform(0, 2, shape if weighting == "full" else shape[0])
    check_pointwise(loss, y_true.astype(dtype), y_pred.astype(dtype), dtype=dtype, sample_weight=sample_weight,
                    **options)


@pytest.mark.parametrize("loss, options, make", CASES[::3])
def test_parallel_path_matches_reference(loss, options, make, rng):
    y_true, y_pred = make(rng, PARALLEL_THRESHOLD + 1001)
    value, grad = loss.value_and_grad(y_true, y_pred, **options)
    expected_loss, expected_grad, expected_hess = reference.pointwise(loss.name, y_true, y_pred, **options)
    assert_allclose(value, expected_loss, rtol=1e-10)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-18)
    assert_allclose(loss.hessian(y_true, y_pred, **options), expected_hess, rtol=1e-10, atol=1e-18)


PER_ELEMENT_CASES = CASES + [
    pytest.param(lj.mse, {}, _values, id="mse"),
    pytest.param(lj.mae, {}, _values, id="mae"),
    pytest.param(lj.huber, {"delta": 0.5}, _values, id="huber"),
]


@pytest.mark.parametrize("loss, options, make", PER_ELEMENT_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1000, PARALLEL_THRESHOLD + 1001])
def test_per_element_gradient_equals_the_summed_losses_gradient(loss, options, make, dtype, n, rng):
    """reduction="none" and "sum" have one gradient, w_i dl_i/dp_i, from one kernel: bitwise equal."""
    y_true, y_pred = (array.astype(dtype) for array in make(rng, n))
    for sample_weight in (None, rng.uniform(0, 2, n)):
        per_element = loss.grad(y_true, y_pred, sample_weight=sample_weight, reduction="none", **options)
        assert_array_equal(per_element, loss.grad(y_true, y_pred, sample_weight=sample_weight, reduction="sum",
                                                  **options))


# Relations between losses, stated in the docstrings and README.

def test_smooth_l1_is_huber_scaled(rng):
    y_true, y_pred = _values(rng, 200)
    for delta in (0.25, 1.0, 3.0):
        huber = lj.huber(y_true, y_pred, delta=delta, reduction="none")
        assert_allclose(huber, delta * lj.smooth_l1(y_true, y_pred, beta=delta, reduction="none"), rtol=1e-12)
        assert_allclose(lj.huber.grad(y_true, y_pred, delta=delta),
                        delta * lj.smooth_l1.grad(y_true, y_pred, beta=delta), rtol=1e-12)
    assert_allclose(lj.smooth_l1(y_true, y_pred, beta=0.0), lj.mae(y_true, y_pred), rtol=1e-12)


def test_median_quantile_is_half_the_mae(rng):
    y_true, y_pred = _values(rng, 100)
    assert_allclose(lj.quantile(y_true, y_pred), 0.5 * lj.mae(y_true, y_pred), rtol=1e-12)
    assert_allclose(lj.quantile.grad(y_true, y_pred), 0.5 * lj.mae.grad(y_true, y_pred), rtol=1e-12)


def test_quantile_minimiser_is_the_quantile(rng):
    y_true = rng.normal(size=2001)
    for q in (0.1, 0.5, 0.9):
        candidates = np.linspace(-3, 3, 601)
        costs = [lj.quantile(y_true, np.full_like(y_true, c), q=q) for c in candidates]
        assert abs(candidates[int(np.argmin(costs))] - np.quantile(y_true, q)) <= 0.01


@pytest.mark.parametrize("from_logits, make", [(False, _labels_and_probabilities), (True, _labels_and_logits)])
def test_focal_with_gamma_zero_is_binary_cross_entropy(from_logits, make, rng):
    y_true, y_pred = make(rng, 50)
    expected = lj.binary_cross_entropy.value_and_grad(y_true, y_pred, from_logits=from_logits)
    value, grad = lj.focal.value_and_grad(y_true, y_pred, gamma=0.0, from_logits=from_logits)
    assert_allclose(value, expected[0], rtol=1e-12)
    assert_allclose(grad, expected[1], rtol=1e-10, atol=1e-15)
    assert_allclose(lj.focal.hessian(y_true, y_pred, gamma=0.0, from_logits=from_logits),
                    lj.binary_cross_entropy.hessian(y_true, y_pred, from_logits=from_logits), rtol=1e-10)


@pytest.mark.parametrize("from_logits, make", [(False, _labels_and_probabilities), (True, _labels_and_logits)])
def test_binary_cross_entropy_defaults_are_the_foundation_formula(from_logits, make, rng):
    y_true, y_pred = make(rng, 50)
    if from_logits:
        expected = reference.bce_logits(y_true, y_pred)
    else:
        expected = reference.bce_probabilities(y_true, y_pred)
    losses = lj.binary_cross_entropy(y_true, y_pred, from_logits=from_logits, reduction="none")
    assert_allclose(losses, expected[0], rtol=1e-12)
    assert_allclose(lj.binary_cross_entropy.grad(y_true, y_pred, from_logits=from_logits, reduction="none"),
                    expected[1], rtol=1e-10, atol=1e-15)


def test_label_smoothing_is_keras_and_pos_weight_is_torch():
    # Keras: y -> y (1 - s) + s / 2. torch BCEWithLogitsLoss: -[a y log s(z) + (1 - y) log(1 - s(z))].
    z = np.array([2.0, -1.0])
    smoothed = lj.binary_cross_entropy([1.0, 0.0], z, from_logits=True, label_smoothing=0.2, reduction="none")
    assert_allclose(smoothed, lj.binary_cross_entropy([0.9, 0.1], z, from_logits=True, reduction="none"),
                    rtol=1e-15)
    weighted = lj.binary_cross_entropy([1.0, 0.0], z, from_logits=True, pos_weight=4.0, reduction="none")
    assert_allclose(weighted, [4 * np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0))], rtol=1e-15)


def test_hinge_labels_zero_one_are_mapped_to_minus_one_one(rng):
    signed, scores = _signed_labels_and_scores(rng, 30)
    for loss in (lj.hinge, lj.squared_hinge):
        expected = loss.value_and_grad(signed, scores)
        value, grad = loss.value_and_grad((signed + 1) / 2, scores)
        assert value == expected[0]
        assert_array_equal(grad, expected[1])
        assert loss(np.ones(3), scores[:3]) == loss(np.ones(3, bool), scores[:3])


@pytest.mark.parametrize("dtype", [np.int8, np.int64, bool, np.float16, np.float32, ">f8"])
def test_hinge_labels_of_any_real_dtype(dtype, rng):
    """The label check (one compiled pass) takes every dtype the API accepts, NaN labels included."""
    labels = (rng.random(40) < 0.5).astype(dtype)
    scores = rng.normal(size=40)
    assert lj.hinge(labels, scores) == lj.hinge(labels.astype(np.float64), scores)
    if np.dtype(dtype).kind != "b":
        assert lj.hinge((2 * labels.astype(np.int64) - 1).astype(dtype), scores) == lj.hinge(labels.astype(float), scores)
    with_nan = np.where(np.arange(40) == 3, np.nan, labels.astype(np.float64))
    assert np.isnan(lj.hinge(with_nan, scores))


def test_hinge_known_values():
    y_true, y_pred = np.array([1, -1, 1, -1]), np.array([2.0, 0.5, 0.25, -3.0])
    assert lj.hinge(y_true, y_pred, reduction="sum") == 0 + 1.5 + 0.75 + 0
    assert lj.squared_hinge(y_true, y_pred, reduction="sum") == 2.25 + 0.5625
    assert_array_equal(lj.hinge.grad(y_true, y_pred, reduction="sum"), [0, 1, -1, 0])
    assert lj.hinge.grad([1], [1.0])[0] == 0  # the subgradient at the kink


def test_kl_log_input_equals_probabilities_and_rows_sum_to_the_divergence(rng):
    y_true, y_pred = rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)
    y_true[:, 0] = 0.0
    y_true /= y_true.sum(axis=1, keepdims=True)
    value = lj.kl_divergence(y_true, y_pred)
    assert_allclose(lj.kl_divergence(y_true, np.log(y_pred), log_input=True), value, rtol=1e-12)
    per_row = np.sum(np.where(y_true > 0, y_true * np.log(np.where(y_true > 0, y_true, 1) / y_pred), 0), axis=1)
    # Keras's KLDivergence and torch's "batchmean": the sum over classes, averaged over rows.
    assert_allclose(lj.kl_divergence(y_true, y_pred, reduction="sum") / 5, per_row.mean(), rtol=1e-12)
    assert lj.kl_divergence(y_true, y_true) == 0


def test_poisson_log_input_and_rate_agree_up_to_epsilon(rng):
    y_true, log_rate = _counts(rng, 40)
    by_log = lj.poisson(y_true, log_rate)
    by_rate = lj.poisson(y_true, np.exp(log_rate), log_input=False)
    assert_allclose(by_log, by_rate, rtol=1e-5)
    assert lj.poisson([0.0], [0.0], log_input=False) == 0  # 0 log 0 counts nothing


# Extreme values: no overflow, no lost digits, finite gradients.

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_cosh_extremes(dtype):
    d = np.array([-1e4, -60.0, -1e-4, 0.0, 1e-4, 60.0, 1e4], dtype)
    losses = lj.log_cosh(np.zeros_like(d), d, reduction="none")
    grad = lj.log_cosh.grad(np.zeros_like(d), d, reduction="sum")
    hessian = lj.log_cosh.hessian(np.zeros_like(d), d, reduction="sum")
    expected = np.abs(d.astype(np.float64)) - np.log(2.0)
    assert_allclose(losses[[0, 1, 5, 6]], expected[[0, 1, 5, 6]], rtol=1e-6)
    # Near zero log cosh d ~ d^2 / 2 - d^4 / 12: keeps its relative accuracy, in float32 too.
    assert_allclose(losses[[2, 4]], 0.5e-8, rtol=1e-6)
    assert losses[3] == 0
    assert_array_equal(grad[[0, 1, 5, 6]], [-1, -1, 1, 1])
    assert np.all(np.isfinite(hessian)) and hessian[3] == 1 and hessian[0] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0])
def test_focal_extreme_logits_stay_finite(dtype, gamma):
    z = np.array([-1e4, -100.0, -40.0, 40.0, 100.0, 1e4], dtype)
    for label in (0.0, 1.0):
        y_true = np.full_like(z, label)
        value, grad = lj.focal.value_and_grad(y_true, z, gamma=gamma, from_logits=True, reduction="none")
        hessian = lj.focal.hessian(y_true, z, gamma=gamma, from_logits=True, reduction="none")
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hessian))
        wrong = z < 0 if label == 1 else z > 0  # confidently wrong: loss ~ |z|, slope 1
        assert_allclose(value[wrong], np.abs(z[wrong]), rtol=1e-6)
        assert_allclose(np.abs(grad[wrong]), 1.0, rtol=1e-6)
        assert np.all(value[~wrong] >= 0) and np.all(value[~wrong] < 1e-15)
        assert np.all(np.abs(grad[~wrong]) < 1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [
    pytest.param({}, id="default"),
    pytest.param({"gamma": 0.5, "alpha": 0.25}, id="gamma-0.5-alpha"),
    pytest.param({"gamma": 0.0}, id="gamma-0"),
])
def test_focal_clips_probabilities(dtype, options):
    """Outside [EPSILON, 1 - EPSILON], p exactly 0 and 1 included, the loss is the focal loss at the clipped
    probability and the gradient and hessian are exactly zero; at the bounds themselves they are not."""
    y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0.25, 0.75, 0.5], dtype)
    y_pred = np.array([0, 1, 1, 0, 1e-9, 1 - 1e-12, 5e-8, 1 - 5e-8, 0, 1, 1e-30], dtype)
    low, high = reference.clip_bounds(dtype)
    gamma, alpha = options.get("gamma", 2.0), options.get("alpha")
    y = y_true.astype(np.float64)
    s = np.where(y_pred.astype(np.float64) < 0.5, low, high)  # every prediction lies outside the bounds
    c = -(y * np.log(s) + (1 - y) * np.log1p(-s))
    m = y * (1 - s) + (1 - y) * s  # the probability given to the wrong side
    weight = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    expected = weight * m**gamma * c
    losses = lj.focal(y_true, y_pred, reduction="none", **options)
    assert losses.dtype == dtype
    assert_allclose(losses, expected, rtol=tolerance(dtype)["rtol"], atol=0)  # relative, down to ~1e-21
    assert np.all(np.isfinite(losses)) and losses.max() < 16.2
    for reduction in REDUCTIONS:
        assert_array_equal(lj.focal.grad(y_true, y_pred, reduction=reduction, **options), 0)
        assert_array_equal(lj.focal.hessian(y_true, y_pred, reduction=reduction, **options), 0)
    check_pointwise(lj.focal, y_true, y_pred, dtype=dtype, sample_weight=np.linspace(0.5, 2.0, y_true.size), **options)
    bounds = np.array([low, high], dtype)  # inside: the clipping is strict
    assert np.all(lj.focal.grad(np.array([1, 0], dtype), bounds, reduction="none", **options) != 0)


@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
def test_focal_gradient_for_small_gamma_as_p_t_approaches_one(gamma):
    """The textbook (1 - p_t)^(gamma - 1) blows up here; the kernel's ratio form does not."""
    z = np.array([5.0, 12.0, 20.0, 30.0])
    y_true = np.ones_like(z)
    error = lj.check_grad(lj.focal, y_true, z, gamma=gamma, from_logits=True, reduction="sum")
    assert error < 1e-6
    # In float32 p_t rounds to 1 from z ~ 17, yet the gradient stays finite and small.
    z32 = np.linspace(5, 120, 40, dtype=np.float32)
    grad = lj.focal.grad(np.ones_like(z32), z32, gamma=gamma, from_logits=True)
    hessian = lj.focal.hessian(np.ones_like(z32), z32, gamma=gamma, from_logits=True)
    assert np.all(np.isfinite(grad)) and np.all(grad <= 0) and np.all(np.isfinite(hessian))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_pos_weight_extreme_logits(dtype):
    z = np.array([-1e4, 1e4, -1e4, 1e4], dtype)
    y_true = np.array([1.0, 0.0, 0.0, 1.0], dtype)
    losses = lj.binary_cross_entropy(y_true, z, from_logits=True, pos_weight=3.0, reduction="none")
    grad = lj.binary_cross_entropy.grad(y_true, z, from_logits=True, pos_weight=3.0, reduction="none")
    assert_allclose(losses, [3e4, 1e4, 0, 0], rtol=1e-6)
    assert_array_equal(grad, [-3, 1, 0, 0])


def test_poisson_extremes():
    losses = lj.poisson([5.0, 0.0], [-700.0, -700.0], reduction="none")
    assert_allclose(losses, [3500.0, 0.0], atol=1e-300)
    assert lj.poisson.grad([0.0], [-800.0]) == 0
    assert lj.poisson([3.0], [0.0], log_input=False) == -3 * np.float64(np.log(1e-7))


# Errors: bad options and bad data are named before any kernel runs.

@pytest.mark.parametrize("loss, options, message", [
    (lj.quantile, {"q": 0.0}, "q must be"),
    (lj.quantile, {"q": 1.0}, "q must lie in"),
    (lj.quantile, {"q": np.nan}, "q must be"),
    (lj.smooth_l1, {"beta": -1.0}, "beta must be"),
    (lj.focal, {"gamma": -0.5}, "gamma must be"),
    (lj.focal, {"alpha": 1.5}, "alpha must lie in"),
    (lj.focal, {"alpha": -0.1}, "alpha must be"),
    (lj.binary_cross_entropy, {"pos_weight": -1.0}, "pos_weight must be"),
    (lj.binary_cross_entropy, {"pos_weight": np.inf}, "pos_weight must be"),
    (lj.binary_cross_entropy, {"label_smoothing": 1.5}, "label_smoothing must lie in"),
])
def test_bad_options_raise_value_errors(loss, options, message):
    with pytest.raises(ValueError, match=message):
        loss([0.0, 1.0], [0.5, 0.5], **options)


@pytest.mark.parametrize("loss, options", [
    (lj.quantile, {"q": "0.5"}), (lj.smooth_l1, {"beta": None}), (lj.focal, {"gamma": True}),
    (lj.focal, {"alpha": "0.25"}), (lj.binary_cross_entropy, {"pos_weight": [2.0]}),
])
def test_options_of_wrong_type_raise_type_errors(loss, options):
    with pytest.raises(TypeError):
        loss([0.0, 1.0], [0.5, 0.5], **options)


@pytest.mark.parametrize("loss, y_true, y_pred, options, message", [
    (lj.poisson, [-1.0, 2.0], [0.5, 0.5], {}, "y_true must lie in"),
    (lj.poisson, [1.0, 2.0], [-0.5, 0.5], {"log_input": False}, "y_pred must lie in"),
    (lj.hinge, [0.0, 2.0], [0.5, 0.5], {}, "y_true must hold labels"),
    (lj.squared_hinge, [-1.0, 0.0, 1.0], [0.5, 0.5, 0.5], {}, "y_true must hold labels"),
    (lj.kl_divergence, [0.5, 0.5], [1.5, 0.5], {}, "y_pred must lie in"),
    (lj.kl_divergence, [1.5, 0.5], [0.5, 0.5], {}, "y_true must lie in"),
    (lj.kl_divergence, [0.5, 0.5], [0.1, -0.3], {"log_input": True}, "log-probabilities"),
    (lj.focal, [0.5, 2.0], [0.5, 0.5], {}, "y_true must lie in"),
    (lj.focal, [0.0, 1.0], [0.5, 1.5], {}, "y_pred must lie in"),
    (lj.focal, [0.0, 1.0], [0.5], {"from_logits": True}, "shape"),
    (lj.log_cosh, [], [], {}, "empty"),
])
def test_bad_data_raises_value_errors(loss, y_true, y_pred, options, message):
    with pytest.raises(ValueError, match=message):
        loss(y_true, y_pred, **options)


@pytest.mark.parametrize("dtype", [">f8", "<f8", "f4", "f2", "i8", "u1"])
def test_range_checks_hold_in_every_dtype_and_skip_only_nan(dtype):
    """Out-of-range values are found beside NaN in float16, big-endian and integer arrays too."""
    bad = np.array([0.0, 2.0] + ([np.nan] if np.dtype(dtype).kind == "f" else []), dtype=dtype)
    with pytest.raises(ValueError, match="y_true must lie in"):
        lj.binary_cross_entropy(bad, np.full(bad.size, 0.5))
    with pytest.raises(ValueError, match="y_pred must lie in"):  # checked before any conversion
        lj.cross_entropy(np.array([0]), bad.reshape(1, -1))
    if np.dtype(dtype).kind == "f":
        assert np.isnan(lj.binary_cross_entropy(np.array([0.0, np.nan], dtype), np.full(2, 0.5)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_range_checks_compare_in_the_values_dtype_at_the_bounds(dtype):
    """The check compares in the values' dtype: the bounds pass (-0 too), the next float outside fails."""
    one, zero = dtype(1), dtype(0)
    inside = np.array([zero, -zero, one, np.nan], dtype)
    outside = np.array([np.nextafter(one, dtype(2)), np.nextafter(zero, dtype(-1)), np.inf, -np.inf], dtype)
    for check in (count_outside_serial, count_outside):
        for size in (inside.size, PARALLEL_THRESHOLD + 5):
            assert check[inside.dtype](np.resize(inside, size), 0.0, 1.0) == 0
            assert check[inside.dtype](np.resize(outside, size), 0.0, 1.0) == size
        assert check[inside.dtype](np.array([np.inf, 0.0], dtype), 0.0, np.inf) == 0
    with pytest.raises(ValueError, match="y_true must lie in"):
        lj.binary_cross_entropy(outside[:1], np.full(1, 0.5, dtype))


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="delta"):
        lj.smooth_l1([0.0], [1.0], delta=2.0)
    with pytest.raises(TypeError, match="log_input"):
        lj.quantile([0.0], [1.0], log_input=True)
