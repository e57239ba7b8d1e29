"""Input checks found wanting by a conformance run, fixed: uint64 labels within int64 give the int64 result
(the errors are in test_errors.py), padding under a mask is never read whatever its dtype, and sample
weights that sum to zero are fine for reduction="sum" and "none"."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import lossjit as lj
from lossjit import _validation as v


@pytest.fixture
def scores(rng):
    return rng.normal(size=(6, 3, 5))  # ctc's (T, N, C)


def assert_same_result(first, second):
    for a, b in zip(first, second):
        assert_array_equal(a, b)


# ---------------------------------------------------------------- uint64 labels within int64


def test_uint64_labels_give_the_int64_result(rng, scores):
    logits = rng.normal(size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    for ignore_index in (-100, 1):
        assert_same_result(
            lj.cross_entropy.value_and_grad(labels.astype(np.uint64), logits, from_logits=True,
                                            ignore_index=ignore_index),
            lj.cross_entropy.value_and_grad(labels, logits, from_logits=True, ignore_index=ignore_index))

    tokens = rng.normal(size=(2, 3, 4))
    token_labels = np.array([[3, 0, 1], [0, 1, 2]])
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    for options in ({}, {"mask": mask}):
        assert_same_result(lj.sequence_cross_entropy.value_and_grad(token_labels.astype(np.uint64), tokens, **options),
                           lj.sequence_cross_entropy.value_and_grad(token_labels, tokens, **options))

    maps = rng.uniform(size=(2, 3, 4))
    pixel_labels = np.array([[0, 1, 2, 2], [1, 1, 0, 2]])
    assert_same_result(lj.dice.value_and_grad(pixel_labels.astype(np.uint64), maps),
                       lj.dice.value_and_grad(pixel_labels, maps))

    targets, lengths = np.array([[1, 2], [3, 3], [4, 1]]), np.array([2, 2, 1])
    for options in ({}, {"target_lengths": lengths}, {"target_lengths": lengths, "input_lengths": [6, 5, 4]}):
        wide = {key: np.asarray(value, np.uint64) for key, value in options.items()}
        assert_same_result(lj.ctc.value_and_grad(targets.astype(np.uint64), scores, **wide),
                           lj.ctc.value_and_grad(targets, scores, **options))
    assert_same_result(lj.ctc.value_and_grad(np.array([1, 2, 3, 3, 4], np.uint64), scores, target_lengths=lengths),
                       lj.ctc.value_and_grad(targets, scores, target_lengths=lengths))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int32, np.uint64])
def test_padding_under_the_mask_is_never_read(dtype, rng):
    """np.where casts ignore_index to the labels' dtype and wraps it (-100 is 156 in uint8, 65436 in uint16),
    which gave a spurious "class indices must lie in [0, 130)"; and uint64 padding beyond int64 is not refused."""
    tokens = rng.normal(size=(2, 3, 130))
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    padding = np.iinfo(dtype).max
    labels = np.array([[7, 0, padding], [120, padding, padding]], dtype)
    expected = lj.sequence_cross_entropy.value_and_grad(np.array([[7, 0, 0], [120, 0, 0]]), tokens, mask=mask)
    for ignore_index in (-100, -1000):
        result = lj.sequence_cross_entropy.value_and_grad(labels, tokens, mask=mask, ignore_index=ignore_index)
        assert_same_result(result, expected)


# ---------------------------------------------------------------- sample weights that sum to zero


def test_only_the_mean_needs_a_nonzero_weight_total():
    assert v.weight_total(np.zeros(3), 4, 12) == 0.0
    assert v.weight_total(np.array([0.5, 0.0]), 3, 6) == 1.5
    assert v.check_mean_denominator(1.5) == 1.5
    assert np.isnan(v.check_mean_denominator(np.nan))  # cross_entropy with every row ignored: NaN, as torch
    with pytest.raises(ValueError, match="sample_weight sums to zero, so the weighted mean is undefined"):
        v.check_mean_denominator(0.0)


ROW_LOSSES = [
    pytest.param(lj.cross_entropy, lambda rng: (np.array([2, 0, 1]), rng.normal(size=(3, 4))), (3,),
                 {"from_logits": True}, id="cross_entropy"),
    pytest.param(lj.cross_entropy, lambda rng: (np.eye(4)[[2, 0, 1]], rng.normal(size=(3, 4))), (3,),
                 {"from_logits": True}, id="cross_entropy-probabilities"),
    pytest.param(lj.softmax_focal, lambda rng: (np.array([2, 0, 1]), rng.normal(size=(3, 4))), (3,),
                 {"from_logits": True}, id="softmax_focal"),
    pytest.param(lj.sequence_cross_entropy, lambda rng: (np.array([[2, 0], [1, 1], [0, 3]]),
                                                         rng.normal(size=(3, 2, 4))),
                 (3,), {"mask": np.ones((3, 2))}, id="sequence_cross_entropy"),
    pytest.param(lj.dice, lambda rng: (np.array([[0, 1], [2, 2], [1, 0]]), rng.uniform(size=(3, 4, 2))), (3,), {},
                 id="dice"),
    pytest.param(lj.ctc, lambda rng: (np.array([[1, 2], [3, 3], [2, 0]]), rng.normal(size=(5, 3, 4))), (3,),
                 {"target_lengths": [2, 2, 1]}, id="ctc"),
]


@pytest.mark.parametrize("loss, data, weight_shape, options", ROW_LOSSES)
def test_zero_sample_weight_sums_to_zero(loss, data, weight_shape, options, rng):
    """"sum" is 0 and "none" zeros, with zero gradients; the mean's error is in test_errors.py."""
    y_true, y_pred = data(rng)
    weights = np.zeros(weight_shape)
    value, grad = loss.value_and_grad(y_true, y_pred, sample_weight=weights, reduction="sum", **options)
    assert value == 0
    assert_array_equal(grad, np.zeros_like(y_pred))
    losses, grad = loss.value_and_grad(y_true, y_pred, sample_weight=weights, reduction="none", **options)
    assert_array_equal(losses, np.zeros_like(losses))
    assert_array_equal(grad, np.zeros_like(y_pred))
    some = np.array([0.0, 2.0, 0.0])  # and a row of weight 2 counts twice, the others not at all
    unweighted = loss(y_true, y_pred, reduction="none", **options)
    assert_array_equal(loss(y_true, y_pred, sample_weight=some, reduction="none", **options),
                       2 * unweighted * (some > 0).reshape((3,) + (1,) * (unweighted.ndim - 1)))


@pytest.mark.parametrize("loss, options", [
    pytest.param(lj.mse, {}, id="mse"),
    pytest.param(lj.huber, {}, id="huber"),
    pytest.param(lj.binary_cross_entropy, {"from_logits": True}, id="bce-logits"),
])
def test_pointwise_zero_sample_weight_sums_to_zero(loss, options, rng):
    y_true, y_pred = rng.uniform(size=(3, 2)), rng.normal(size=(3, 2))
    weights = np.zeros(3)
    value, grad = loss.value_and_grad(y_true, y_pred, sample_weight=weights, reduction="sum", **options)
    assert value == 0
    assert_array_equal(grad, np.zeros_like(y_pred))
    assert_array_equal(loss.hessian(y_true, y_pred, sample_weight=weights, reduction="sum", **options),
                       np.zeros_like(y_pred))
    assert_array_equal(loss(y_true, y_pred, sample_weight=weights, reduction="none", **options),
                       np.zeros_like(y_pred))
