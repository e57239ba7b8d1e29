"""Segmentation losses: soft Dice against a float64 NumPy reference, and pixel-wise cross-entropy."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from reference import numerical_grad
from lossjit._config import PARALLEL_THRESHOLD


def one_hot(labels, n_classes):
    """(N, *spatial) class indices -> (N, C, *spatial) one-hot maps."""
    return np.moveaxis(np.eye(n_classes)[labels], -1, 1)


def probabilities(logits):
    """Softmax over axis 1, or the sigmoid for a single channel."""
    if logits.shape[1] == 1:
        return 1 / (1 + np.exp(-logits))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def dice_reference(target, p, smooth=1.0):
    """Per-sample soft Dice loss in float64: mean over classes of 1 - (2 I + s) / (P + T + s)."""
    target, p = np.asarray(target, np.float64), np.asarray(p, np.float64)
    axes = tuple(range(2, p.ndim))
    intersection = (p * target).sum(axes)
    union = p.sum(axes) + target.sum(axes)
    return (1 - (2 * intersection + smooth) / (union + smooth)).mean(axis=1)


def reduce(per_sample, reduction, weights=None):
    weights = np.ones_like(per_sample) if weights is None else np.asarray(weights, np.float64)
    if reduction == "none":
        return weights * per_sample
    total = np.sum(weights * per_sample)
    return total / weights.sum() if reduction == "mean" else total


@pytest.fixture
def segmentation(rng):
    """Logits (2, 3, 4, 5), class indices (2, 4, 5) and their one-hot maps."""
    logits = rng.normal(size=(2, 3, 4, 5))
    labels = rng.integers(0, 3, size=(2, 4, 5))
    return logits, labels, one_hot(labels, 3)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dice_matches_reference_for_every_target_form(segmentation, reduction, dtype, rng):
    logits, labels, target = segmentation
    p = probabilities(logits)
    weights = rng.uniform(0.5, 2.0, size=2)
    expected = reduce(dice_reference(target, p), reduction, weights)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    for y_true, y_pred, from_logits in ((target, p, False), (labels, p, False), (target, logits, True),
                                        (labels, logits, True)):
        y_pred = y_pred.astype(dtype)
        y_true = y_true.astype(dtype) if y_true.dtype.kind == "f" else y_true
        value, grad = lj.dice.value_and_grad(y_true, y_pred, sample_weight=weights, reduction=reduction,
                                             from_logits=from_logits)
        assert value.dtype == dtype and grad.dtype == dtype and grad.shape == y_pred.shape
        assert_allclose(value, expected, **tol)
        assert_array_equal(lj.dice(y_true, y_pred, sample_weight=weights, reduction=reduction,
                                   from_logits=from_logits), value)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_dice_gradient_matches_finite_differences(segmentation, reduction, rng):
    logits, labels, target = segmentation
    weights = rng.uniform(0.5, 2.0, size=2)

    def loss_of_probabilities(p):
        return reduce(dice_reference(target, p, smooth=0.5), reduction, weights)

    p = probabilities(logits)
    grad = lj.dice.grad(labels, p, sample_weight=weights, reduction=reduction, smooth=0.5)
    assert_allclose(grad, numerical_grad(loss_of_probabilities, p), rtol=1e-6, atol=1e-9)
    grad = lj.dice.grad(labels, logits, sample_weight=weights, reduction=reduction, smooth=0.5, from_logits=True)
    expected = numerical_grad(lambda z: loss_of_probabilities(probabilities(z)), logits)
    assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


def test_dice_gradient_matches_its_closed_form(segmentation):
    logits, _, target = segmentation
    p = probabilities(logits)
    intersection = (p * target).sum((2, 3), keepdims=True)
    union = (p + target).sum((2, 3), keepdims=True) + 1.0
    n_samples, n_classes = p.shape[:2]
    expected = ((2 * intersection + 1.0) / union**2 - 2 * target / union) / (n_samples * n_classes)
    assert_allclose(lj.dice.grad(target, p), expected, rtol=1e-12, atol=1e-15)


def test_single_channel_logits_use_the_sigmoid(rng):
    logits = rng.normal(size=(3, 1, 8))
    mask = (rng.random((3, 1, 8)) > 0.5).astype(np.float64)
    sigmoid = 1 / (1 + np.exp(-logits))
    assert_allclose(lj.dice(mask, logits, from_logits=True, reduction="none"), dice_reference(mask, sigmoid),
                    rtol=1e-12)
    expected = numerical_grad(lambda z: dice_reference(mask, 1 / (1 + np.exp(-z))).mean(), logits)
    assert_allclose(lj.dice.grad(mask, logits, from_logits=True), expected, rtol=1e-6, atol=1e-9)


def test_samples_without_spatial_axes_and_3d_volumes(rng):
    for shape in [(4, 3), (2, 2, 3, 3, 2)]:
        p = probabilities(rng.normal(size=shape))
        target = one_hot(rng.integers(0, shape[1], size=shape[:1] + shape[2:]), shape[1])
        assert_allclose(lj.dice(target, p, reduction="none"), dice_reference(target, p), rtol=1e-12)


@given(n_samples=st.integers(1, 3), n_classes=st.integers(1, 4), n_spatial=st.integers(1, 6),
       smooth=st.floats(0.01, 5.0), seed=st.integers(0, 2**32 - 1), from_logits=st.booleans())
def test_dice_random_inputs(n_samples, n_classes, n_spatial, smooth, seed, from_logits):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n_samples, n_classes, n_spatial))
    target = rng.random((n_samples, n_classes, n_spatial))
    p = probabilities(logits)
    value, grad = lj.dice.value_and_grad(target, logits if from_logits else p, smooth=smooth,
                                         from_logits=from_logits)
    assert_allclose(value, dice_reference(target, p, smooth).mean(), rtol=1e-10, atol=1e-12)
    if from_logits:
        expected = numerical_grad(lambda z: dice_reference(target, probabilities(z), smooth).mean(), logits)
    else:
        expected = numerical_grad(lambda q: dice_reference(target, q, smooth).mean(), p)
    assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)


def test_perfect_prediction_costs_zero_and_smooth_zero_gives_nan_for_an_empty_class():
    target = np.zeros((1, 2, 4))
    target[0, 0] = 1.0
    assert lj.dice(target, target) == 0.0
    assert np.isnan(lj.dice(target, target, smooth=0.0))  # class 1 is empty in both: 0 / 0
    target[0, :, 1] = [0.0, 1.0]  # both classes present: smooth=0 is the plain Dice coefficient
    assert lj.dice(target, target, smooth=0) == 0.0
    assert_allclose(lj.dice(target, np.full_like(target, 0.5), smooth=0), 1 - (3 / 5 + 1 / 3) / 2)


def test_extreme_logits_stay_finite():
    logits = np.array([[[1e4, -1e4, 0.0]], [[-1e4, 1e4, 0.0]]]).transpose(1, 0, 2)  # (1, 2, 3)
    value, grad = lj.dice.value_and_grad(np.array([[0, 1, 0]]), logits, from_logits=True)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    value, grad = lj.dice.value_and_grad(np.ones((1, 1, 2)), np.array([[[1e4, -1e4]]]), from_logits=True)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_nan_propagates():
    p = np.full((1, 2, 3), 0.5)
    p[0, 0, 0] = np.nan
    value, grad = lj.dice.value_and_grad(np.zeros((1, 3), np.int64), p)
    assert np.isnan(value) and np.isnan(grad[0, 0]).all()


def test_non_contiguous_inputs(rng):
    logits = rng.normal(size=(2, 4, 6, 6))[:, ::2, ::2, 1:4]
    labels = rng.integers(0, 2, size=(2, 3, 6))[:, :, ::2]
    expected = dice_reference(one_hot(labels, 2), probabilities(logits)).mean()
    assert not logits.flags.c_contiguous
    assert_allclose(lj.dice(labels, logits, from_logits=True), expected, rtol=1e-12)


def test_dice_is_identical_at_one_and_two_threads(rng, two_threads):
    logits = rng.normal(size=(8, 4, 64, 64)).astype(np.float32)  # 131072 elements: the parallel path
    assert logits.size >= PARALLEL_THRESHOLD
    labels = rng.integers(0, 4, size=(8, 64, 64))
    results = []
    for threads in (1, two_threads):
        numba.set_num_threads(threads)
        results.append(lj.dice.value_and_grad(labels, logits, from_logits=True))
    assert results[0][0] == results[1][0]
    assert_array_equal(results[0][1], results[1][1])
    assert_allclose(results[0][0], dice_reference(one_hot(labels, 4), probabilities(logits.astype(np.float64))).mean(),
                    rtol=1e-5)


@pytest.mark.parametrize("y_true, y_pred, options, error, match", [
    (np.zeros(3), np.zeros(3), {}, ValueError, r"y_pred must have shape \(N, C"),
    (np.zeros((0, 2)), np.zeros((0, 2, 4)), {}, ValueError, "y_pred is empty"),
    (np.zeros((2, 5)), np.zeros((2, 3, 4)), {}, ValueError, "y_true has shape"),
    (np.full((2, 4), 3), np.zeros((2, 3, 4)), {}, ValueError, r"class indices must lie in \[0, 3\)"),
    (np.full((2, 4), 0.5), np.zeros((2, 3, 4)), {}, ValueError, "must be integers"),
    (np.zeros((2, 4), bool), np.zeros((2, 3, 4)), {}, TypeError, "got bool"),
    (np.zeros((2, 4), np.int64), np.zeros((2, 1, 4)), {}, ValueError, "single channel"),
    (np.zeros((2, 3, 4)), np.full((2, 3, 4), 1.5), {}, ValueError, "y_pred must lie in"),
    (np.full((2, 3, 4), 2.0), np.zeros((2, 3, 4)), {}, ValueError, "y_true must lie in"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"smooth": -1.0}, ValueError, "smooth"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"smooth": "1"}, TypeError, "smooth"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"sample_weight": np.zeros(2)}, ValueError, "sums to zero"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"reduction": "avg"}, ValueError, "reduction"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {"axis": 1}, TypeError, "unexpected keyword"),
    (np.zeros((2, 3, 4)), np.array([["a"]]), {}, TypeError, "y_pred must hold real numbers"),
])
def test_dice_rejects_bad_input_by_name(y_true, y_pred, options, error, match):
    with pytest.raises(error, match=match):
        lj.dice(y_true, y_pred, **options)


def test_pixelwise_cross_entropy_uses_cross_entropy_over_axis_1(segmentation, rng):
    logits, labels, target = segmentation
    log_softmax = np.log(probabilities(logits))
    per_pixel = -(target * log_softmax).sum(axis=1)  # (N, H, W)
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, axis=1), per_pixel.mean(), rtol=1e-12)
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, axis=1, reduction="none"), per_pixel,
                    rtol=1e-12)
    grad = lj.cross_entropy.grad(labels, logits, from_logits=True, axis=1)
    assert_allclose(grad, (probabilities(logits) - target) / per_pixel.size, rtol=1e-10, atol=1e-15)
    weights = rng.uniform(0.5, 2.0, size=2)
    expected = (weights[:, None, None] * per_pixel).sum() / (weights.sum() * per_pixel[0].size)
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, axis=1, sample_weight=weights), expected,
                    rtol=1e-12)


def test_dice_is_registered_with_its_maths():
    assert lj.losses["dice"] is lj.dice
    assert lj.dice.properties["task"] == "segmentation"
    assert "smooth" in lj.dice.options and r"\frac" in lj.dice.formula and lj.dice.gradient
